/**
 * WordPress dependencies
 */
import { Notice, Spinner } from '@wordpress/components';
import domReady from '@wordpress/dom-ready';
import { createElement } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { configureApiFetch } from '../data/wordpress';
import { mount } from '../lib/mount';
import { useRequest } from '../lib/use-request';
import { SettingsForm } from './components/settings-form';
import { loadSettings } from './query';
import type { PluginSettings, SettingsInitialState } from './types';
import './settings.scss';

export function SettingsScreen({
  initial,
  roles,
  userEmail,
  timeZone,
}: {
  initial?: PluginSettings | undefined;
  roles: Record<string, string>;
  userEmail?: string | undefined;
  timeZone?: string | undefined;
}) {
  if (initial) return <SettingsForm initial={initial} roles={roles} userEmail={userEmail} timeZone={timeZone} />;
  return <LoadedSettings roles={roles} userEmail={userEmail} />;
}

/** The settings screen when the page did not print them: loads them first. */
function LoadedSettings({ roles, userEmail }: { roles: Record<string, string>; userEmail?: string | undefined }) {
  const state = useRequest((signal) => loadSettings(signal), 'settings');
  if (state.status === 'loading') return <Spinner />;
  if (state.status === 'error')
    return (
      <Notice status="error" isDismissible={false}>
        {sprintf(
          __('Could not load the settings: %s. Reload the page to try again.', 'clickpath'),
          state.error.message.replace(/\.$/, ''),
        )}
      </Notice>
    );
  return <SettingsForm initial={state.data} roles={roles} userEmail={userEmail} />;
}

domReady(() => {
  const container = document.getElementById('clickpath-settings');
  const config = window.clickpathAdmin;
  if (!container || !config) return;
  configureApiFetch(config.rest);
  const state = (config.initialState ?? {}) as SettingsInitialState;
  mount(
    container,
    <SettingsScreen
      initial={state.settings}
      roles={state.roles ?? {}}
      userEmail={state.userEmail}
      timeZone={state.timezone}
    />,
  );
});
