/**
 * WordPress dependencies
 */
import {
  Button,
  Card,
  CardBody,
  CardHeader,
  CheckboxControl,
  Notice,
  SelectControl,
  TextControl,
  ToggleControl,
} from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldSize } from '../../lib/field-size';
import type { ApiError } from '../../data/errors';
import { saveSettings } from '../query';
import type { CollectionSettings, PluginSettings } from '../types';
import { ConnectionCard } from './connection-card';
import { ReportsAlerts } from './reports-alerts';
import { SelfTestCard } from './self-test-card';

interface SettingsFormProps {
  initial: PluginSettings;
  roles: Record<string, string>;
  /** The signed-in administrator's address, for a new email report. */
  userEmail?: string | undefined;
  /** The Clickpath site's time zone. */
  timeZone?: string | undefined;
}

type Message = { status: 'success' | 'error'; text: string } | null;
type Flag =
  | 'track404'
  | 'identifyUsers'
  | 'autoAnnotations'
  | 'honorDoNotTrack'
  | 'trackOutbound'
  | 'trackDownloads'
  | 'trackEngagement'
  | 'relay';

const collection = (s: PluginSettings): CollectionSettings => ({
  identityMode: s.identityMode,
  excludedRoles: s.excludedRoles,
  statsRoles: s.statsRoles,
  trackerSource: s.trackerSource,
  track404: s.track404,
  identifyUsers: s.identifyUsers,
  autoAnnotations: s.autoAnnotations,
  honorDoNotTrack: s.honorDoNotTrack,
  trackOutbound: s.trackOutbound,
  trackDownloads: s.trackDownloads,
  trackEngagement: s.trackEngagement,
  relay: s.relay,
  retentionDays: s.retentionDays,
});

/** The connection, then the collection options (saved together with one button). */
export function SettingsForm({ initial, roles, userEmail = '', timeZone }: SettingsFormProps) {
  const [settings, setSettings] = useState(initial);
  const [form, setForm] = useState<CollectionSettings>(collection(initial));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  const set = (patch: Partial<CollectionSettings>) => setForm({ ...form, ...patch });

  const save = async (event: { preventDefault(): void }) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      const next = await saveSettings(form);
      setSettings(next);
      setForm(collection(next));
      setMessage({ status: 'success', text: __('Settings saved.', 'clickpath') });
    } catch (e) {
      setMessage({ status: 'error', text: sprintf(__('Could not save: %s', 'clickpath'), (e as ApiError).message) });
    } finally {
      setBusy(false);
    }
  };

  const roleList = (field: 'excludedRoles' | 'statsRoles', legend: string, locked?: string) => (
    <fieldset className="clickpath-settings__fieldset">
      <legend>{legend}</legend>
      {Object.entries(roles).map(([slug, label]) => (
        <CheckboxControl
          __nextHasNoMarginBottom
          key={slug}
          label={label}
          checked={form[field].includes(slug)}
          disabled={slug === locked}
          onChange={(on: boolean) =>
            set({ [field]: on ? [...form[field], slug] : form[field].filter((r) => r !== slug) })
          }
        />
      ))}
    </fieldset>
  );

  const toggle = (field: Flag, label: string, help?: string) => (
    <ToggleControl
      __nextHasNoMarginBottom
      label={label}
      help={help}
      checked={form[field]}
      onChange={(on: boolean) => set({ [field]: on })}
    />
  );

  return (
    <div className="clickpath-settings">
      {message && (
        <Notice status={message.status} onRemove={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
      <ConnectionCard
        settings={settings}
        onChange={(next) => {
          setSettings(next);
          setForm(collection(next));
        }}
        onMessage={setMessage}
      />
      {settings.connected && <SelfTestCard keyFromConstant={settings.key?.fromConstant ?? false} />}
      <form onSubmit={save}>
        <Card className="clickpath-settings__card">
          <CardHeader>
            <h2>{__('Collection', 'clickpath')}</h2>
          </CardHeader>
          <CardBody>
            <SelectControl
              __nextHasNoMarginBottom
              {...fieldSize()}
              label={__('Visitor identity', 'clickpath')}
              value={form.identityMode}
              options={[
                {
                  value: 'cookieless',
                  label: __('Cookieless (no consent banner needed; visitors reset daily)', 'clickpath'),
                },
                {
                  value: 'first-party',
                  label: __('First-party identifier (returning visitors; may need consent)', 'clickpath'),
                },
              ]}
              onChange={(identityMode: string) =>
                set({ identityMode: identityMode as CollectionSettings['identityMode'] })
              }
            />
            {form.identityMode === 'first-party' &&
              toggle(
                'identifyUsers',
                __('Link logged-in users’ visits to their account', 'clickpath'),
                __(
                  'Sends a keyed hash of the WordPress user id, never a name or email. Lets Tools → Export/Erase Personal Data include their analytics.',
                  'clickpath',
                ),
              )}
            {roleList('excludedRoles', __('Do not track logged-in users with these roles', 'clickpath'))}
            {toggle('trackOutbound', __('Track outbound link clicks', 'clickpath'))}
            {toggle('trackDownloads', __('Track file downloads', 'clickpath'))}
            {toggle('track404', __('Mark 404 pages', 'clickpath'))}
            {toggle('trackEngagement', __('Measure engaged time', 'clickpath'))}
            {toggle(
              'honorDoNotTrack',
              __('Respect Do Not Track and Global Privacy Control', 'clickpath'),
              __('Browsers sending either signal are not counted at all.', 'clickpath'),
            )}
            <TextControl
              __nextHasNoMarginBottom
              {...fieldSize()}
              label={__('Keep detailed visit records for (days)', 'clickpath')}
              help={__('Aggregate counts are kept; visitor clickpaths older than this are deleted.', 'clickpath')}
              type="number"
              min={1}
              max={3650}
              value={String(form.retentionDays)}
              onChange={(value: string) => set({ retentionDays: Math.max(1, Math.min(3650, Number(value) || 1)) })}
            />
            <SelectControl
              __nextHasNoMarginBottom
              {...fieldSize()}
              label={__('Serve the tracker from', 'clickpath')}
              value={form.trackerSource}
              options={[
                { value: 'plugin', label: __('This WordPress site (fewer ad-blocker losses)', 'clickpath') },
                { value: 'backend', label: __('The Clickpath server (always its latest version)', 'clickpath') },
              ]}
              onChange={(trackerSource: string) =>
                set({ trackerSource: trackerSource as CollectionSettings['trackerSource'] })
              }
            />
            {toggle(
              'relay',
              __('Send hits through this site (first-party relay)', 'clickpath'),
              __(
                'Browsers send hits to this site, which forwards them to the Clickpath server, so ad blockers that block analytics servers do not drop them. Needs a key with the sites:manage scope.',
                'clickpath',
              ),
            )}
          </CardBody>
        </Card>
        <Card className="clickpath-settings__card">
          <CardHeader>
            <h2>{__('Reports in WordPress', 'clickpath')}</h2>
          </CardHeader>
          <CardBody>
            {roleList('statsRoles', __('Roles that can see the stats', 'clickpath'), 'administrator')}
            {toggle(
              'autoAnnotations',
              __('Annotate the charts automatically', 'clickpath'),
              __(
                'Adds a note when a post is published or updated, or a plugin or theme is activated or updated.',
                'clickpath',
              ),
            )}
          </CardBody>
        </Card>
        <Button variant="primary" type="submit" isBusy={busy} disabled={busy}>
          {__('Save settings', 'clickpath')}
        </Button>
      </form>
      {settings.connected && settings.site && (
        <ReportsAlerts siteId={settings.site.id} scopes={settings.scopes} userEmail={userEmail} timeZone={timeZone} />
      )}
    </div>
  );
}
