/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice, TextControl } from '@wordpress/components';
import { createElement, Fragment, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldSize } from '../../lib/field-size';
import type { ApiError } from '../../data/errors';
import { connect, disconnect } from '../query';
import type { PluginSettings } from '../types';

interface ConnectionCardProps {
  settings: PluginSettings;
  onChange: (next: PluginSettings) => void;
  onMessage: (message: { status: 'success' | 'error'; text: string }) => void;
}

/** Backend URL and API key → Connect; once connected, the site, the masked key, its scopes, Test and Disconnect. */
export function ConnectionCard({ settings, onChange, onMessage }: ConnectionCardProps) {
  const [backendUrl, setBackendUrl] = useState(settings.backendUrl);
  const [apiKey, setApiKey] = useState('');
  const [busy, setBusy] = useState<'connect' | 'disconnect' | null>(null);

  const run = async (action: 'connect' | 'disconnect') => {
    setBusy(action);
    try {
      const next = action === 'connect' ? await connect(backendUrl, apiKey) : await disconnect();
      setApiKey('');
      onChange(next);
      onMessage(
        action === 'connect' && next.site
          ? {
              status: 'success',
              text: sprintf(__('Connected to %1$s (%2$s).', 'clickpath'), next.site.name, next.site.domain),
            }
          : { status: 'success', text: __('Disconnected. Tracking has stopped.', 'clickpath') },
      );
    } catch (e) {
      onMessage({
        status: 'error',
        text: sprintf(
          action === 'connect' ? __('Could not connect: %s', 'clickpath') : __('Could not disconnect: %s', 'clickpath'),
          (e as ApiError).message,
        ),
      });
    } finally {
      setBusy(null);
    }
  };

  return (
    <Card className="clickpath-settings__card">
      <CardHeader>
        <h2>{__('Connection', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        {settings.connected && settings.site ? (
          <Fragment>
            <p className="clickpath-settings__status">
              {sprintf(__('Connected to %1$s (%2$s).', 'clickpath'), settings.site.name, settings.site.domain)}
            </p>
            <dl className="clickpath-settings__facts">
              <dt>{__('Server', 'clickpath')}</dt>
              <dd>{settings.backendUrl}</dd>
              <dt>{__('API key', 'clickpath')}</dt>
              <dd>
                <code>{settings.key?.mask}</code>
                {settings.key?.fromConstant ? ` ${__('(set in wp-config.php)', 'clickpath')}` : ''}
              </dd>
              <dt>{__('Scopes', 'clickpath')}</dt>
              <dd>{settings.scopes.join(', ')}</dd>
            </dl>
            {settings.warnings.map((warning) => (
              <Notice key={warning} status="warning" isDismissible={false}>
                {warning}
              </Notice>
            ))}
            <div className="clickpath-settings__buttons">
              <Button
                variant="secondary"
                onClick={() => void run('connect')}
                isBusy={busy === 'connect'}
                disabled={busy !== null}
              >
                {__('Test connection', 'clickpath')}
              </Button>
              {!settings.key?.fromConstant && (
                <Button
                  variant="tertiary"
                  isDestructive
                  onClick={() => void run('disconnect')}
                  isBusy={busy === 'disconnect'}
                  disabled={busy !== null}
                >
                  {__('Disconnect', 'clickpath')}
                </Button>
              )}
            </div>
          </Fragment>
        ) : (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              void run('connect');
            }}
          >
            <p>
              {__(
                'Create an API key for this site in your Clickpath dashboard (Sites → API keys; stats:read, plus sites:manage to change collection options, alerts and email reports from here), then paste it below.',
                'clickpath',
              )}
            </p>
            <TextControl
              __nextHasNoMarginBottom
              {...fieldSize()}
              label={__('Clickpath server URL', 'clickpath')}
              type="url"
              placeholder="https://stats.example.com"
              value={backendUrl}
              onChange={setBackendUrl}
              disabled={settings.backendUrlLocked}
              help={
                settings.backendUrlLocked
                  ? settings.backendUrl
                    ? __('Set by the network administrator.', 'clickpath')
                    : __(
                        'The network administrator has not chosen the Clickpath server yet (Network Admin → Clickpath).',
                        'clickpath',
                      )
                  : ''
              }
              required
            />
            <TextControl
              __nextHasNoMarginBottom
              {...fieldSize()}
              label={__('API key', 'clickpath')}
              type="password"
              autoComplete="off"
              value={apiKey}
              onChange={setApiKey}
              placeholder={settings.key ? settings.key.mask : ''}
              help={
                settings.key
                  ? __(
                      'A key is stored and is never shown again. Leave this empty to use it, or paste a new one.',
                      'clickpath',
                    )
                  : ''
              }
            />
            <Button
              variant="primary"
              type="submit"
              isBusy={busy === 'connect'}
              disabled={busy !== null || !backendUrl || (!apiKey && !settings.key)}
            >
              {__('Connect', 'clickpath')}
            </Button>
          </form>
        )}
      </CardBody>
    </Card>
  );
}
