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
import type { ApiError } from '../../data/errors';
import { saveSettings, testConnection } from '../query';
import type { PluginSettings, SettingsUpdate } from '../types';

interface SettingsFormProps {
  initial: PluginSettings;
  roles: Record<string, string>;
}

type Message = { status: 'success' | 'error' | 'info'; text: string } | null;

/** Connection (backend URL, write-only API key, Connect/Test) and collection options. */
export function SettingsForm({ initial, roles }: SettingsFormProps) {
  const [saved, setSaved] = useState(initial);
  const { hasApiKey: _h, connected: _c, site: _s, ...editable } = initial;
  const [form, setForm] = useState<Omit<SettingsUpdate, 'apiKey'>>(editable);
  const [apiKey, setApiKey] = useState('');
  const [busy, setBusy] = useState<'save' | 'test' | null>(null);
  const [message, setMessage] = useState<Message>(null);
  const set = (patch: Partial<SettingsUpdate>) => setForm({ ...form, ...patch });

  const save = async (event: { preventDefault(): void }) => {
    event.preventDefault();
    setBusy('save');
    setMessage(null);
    try {
      const next = await saveSettings(apiKey ? { ...form, apiKey } : form);
      setSaved(next);
      setApiKey('');
      setMessage({ status: 'success', text: __('Settings saved.', 'clickpath') });
    } catch (e) {
      setMessage({ status: 'error', text: sprintf(__('Could not save: %s', 'clickpath'), (e as ApiError).message) });
    } finally {
      setBusy(null);
    }
  };

  const test = async () => {
    setBusy('test');
    setMessage(null);
    try {
      const result = await testConnection(form.backendUrl, apiKey);
      setMessage(
        result.connected && result.site
          ? {
              status: 'success',
              text: sprintf(__('Connected to %1$s (%2$s).', 'clickpath'), result.site.name, result.site.domain),
            }
          : { status: 'error', text: result.message ?? __('The server answered but refused the key.', 'clickpath') },
      );
    } catch (e) {
      setMessage({ status: 'error', text: sprintf(__('Could not connect: %s', 'clickpath'), (e as ApiError).message) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <form className="clickpath-settings" onSubmit={save}>
      {message && (
        <Notice status={message.status} onRemove={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
      <Card className="clickpath-settings__card">
        <CardHeader>
          <h2>{__('Connection', 'clickpath')}</h2>
        </CardHeader>
        <CardBody>
          <p>
            {saved.connected && saved.site
              ? sprintf(__('Connected to %1$s (%2$s).', 'clickpath'), saved.site.name, saved.site.domain)
              : __('Not connected yet.', 'clickpath')}
          </p>
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            label={__('Clickpath server URL', 'clickpath')}
            type="url"
            placeholder="https://stats.example.com"
            value={form.backendUrl}
            onChange={(backendUrl: string) => set({ backendUrl })}
            required
          />
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            label={__('API key', 'clickpath')}
            type="password"
            autoComplete="off"
            value={apiKey}
            onChange={setApiKey}
            help={
              saved.hasApiKey
                ? __('A key is stored and is never shown again. Type a new one to replace it.', 'clickpath')
                : __(
                    'Create a key with the stats:read and events:write scopes in the Clickpath dashboard.',
                    'clickpath',
                  )
            }
            placeholder={saved.hasApiKey ? '••••••••••••' : ''}
          />
          <Button
            variant="secondary"
            onClick={() => void test()}
            isBusy={busy === 'test'}
            disabled={busy !== null || !form.backendUrl}
          >
            {saved.connected ? __('Test connection', 'clickpath') : __('Connect', 'clickpath')}
          </Button>
        </CardBody>
      </Card>
      <Card className="clickpath-settings__card">
        <CardHeader>
          <h2>{__('Collection', 'clickpath')}</h2>
        </CardHeader>
        <CardBody>
          <SelectControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            label={__('Visitor identity', 'clickpath')}
            value={form.identityMode}
            options={[
              {
                value: 'cookieless',
                label: __('Cookieless (no consent banner needed; visitors reset daily)', 'clickpath'),
              },
              {
                value: 'first-party',
                label: __('First-party cookie (returning visitors; may need consent)', 'clickpath'),
              },
            ]}
            onChange={(identityMode: string) => set({ identityMode: identityMode as SettingsUpdate['identityMode'] })}
          />
          <fieldset className="clickpath-settings__fieldset">
            <legend>{__('Do not track logged-in users with these roles', 'clickpath')}</legend>
            {Object.entries(roles).map(([slug, label]) => (
              <CheckboxControl
                __nextHasNoMarginBottom
                key={slug}
                label={label}
                checked={form.excludedRoles.includes(slug)}
                onChange={(on: boolean) =>
                  set({
                    excludedRoles: on ? [...form.excludedRoles, slug] : form.excludedRoles.filter((r) => r !== slug),
                  })
                }
              />
            ))}
          </fieldset>
          <ToggleControl
            __nextHasNoMarginBottom
            label={__('Track outbound link clicks', 'clickpath')}
            checked={form.trackOutbound}
            onChange={(trackOutbound: boolean) => set({ trackOutbound })}
          />
          <ToggleControl
            __nextHasNoMarginBottom
            label={__('Track file downloads', 'clickpath')}
            checked={form.trackDownloads}
            onChange={(trackDownloads: boolean) => set({ trackDownloads })}
          />
          <ToggleControl
            __nextHasNoMarginBottom
            label={__('Track 404 pages', 'clickpath')}
            checked={form.track404}
            onChange={(track404: boolean) => set({ track404 })}
          />
          <ToggleControl
            __nextHasNoMarginBottom
            label={__('Measure engaged time', 'clickpath')}
            checked={form.trackEngagement}
            onChange={(trackEngagement: boolean) => set({ trackEngagement })}
          />
          <ToggleControl
            __nextHasNoMarginBottom
            label={__('Respect Do Not Track', 'clickpath')}
            checked={form.honorDoNotTrack}
            onChange={(honorDoNotTrack: boolean) => set({ honorDoNotTrack })}
          />
          <ToggleControl
            __nextHasNoMarginBottom
            label={__('Respect Global Privacy Control', 'clickpath')}
            checked={form.honorGpc}
            onChange={(honorGpc: boolean) => set({ honorGpc })}
          />
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            label={__('Keep raw events for (days)', 'clickpath')}
            type="number"
            min={1}
            max={3650}
            value={String(form.retentionDays)}
            onChange={(value: string) => set({ retentionDays: Math.max(1, Math.min(3650, Number(value) || 1)) })}
          />
        </CardBody>
      </Card>
      <Button variant="primary" type="submit" isBusy={busy === 'save'} disabled={busy !== null}>
        {__('Save settings', 'clickpath')}
      </Button>
    </form>
  );
}
