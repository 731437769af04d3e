/**
 * WordPress dependencies
 */
import {
  Button,
  Card,
  CardBody,
  CardHeader,
  SelectControl,
  TextareaControl,
  TextControl,
  ToggleControl,
} from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldMessage, fieldProps } from '../../lib/field-errors';
import { useSubmit } from '../../lib/use-submit';
import { api } from '../query';
import type { Site, SiteSettings } from '../types';
import { Feedback } from './feedback';

type Flag = 'honorDoNotTrack' | 'trackOutbound' | 'trackDownloads' | 'trackEngagement';

interface Draft extends Omit<SiteSettings, 'excludedIps' | 'visitTimeoutMinutes' | 'rawEventRetentionDays'> {
  /** One address or CIDR range a line, as typed. */
  excludedIps: string;
  visitTimeoutMinutes: string;
  rawEventRetentionDays: string;
}

const draftOf = (s: SiteSettings): Draft => ({
  ...s,
  excludedIps: s.excludedIps.join('\n'),
  visitTimeoutMinutes: String(s.visitTimeoutMinutes),
  rawEventRetentionDays: String(s.rawEventRetentionDays),
});

const ipLines = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((line) => line.trim())
    .filter(Boolean);

/** The site's collection options, as the API takes them in `settings` (the same ones the plugin sets). */
export function CollectionOptions({ site, onSaved }: { site: Site; onSaved: (site: Site) => void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(site.settings));
  const [saved, setSaved] = useState('');
  const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });
  const ips = ipLines(draft.excludedIps);
  const { busy, error, submit, clearError, fieldError } = useSubmit(
    async () => {
      setSaved('');
      const settings: SiteSettings = {
        ...draft,
        excludedIps: ips,
        visitTimeoutMinutes: Number(draft.visitTimeoutMinutes),
        rawEventRetentionDays: Number(draft.rawEventRetentionDays),
      };
      const result = await api.updateSite(site.id, { settings });
      setDraft(draftOf(result.settings));
      setSaved(__('Collection options saved.', 'clickpath'));
      onSaved(result);
    },
    {
      fields: [
        ...Object.keys(draft).map((key) => `settings.${key}`),
        ...ips.map((_, i) => `settings.excludedIps.${i}`),
      ],
    },
  );
  const field = (key: keyof Draft, label: string, help?: string) =>
    fieldProps(label, fieldError(`settings.${key}`), help);
  const toggle = (key: Flag, label: string, help?: string) => (
    <ToggleControl
      __nextHasNoMarginBottom
      {...field(key, label, help)}
      checked={draft[key]}
      onChange={(on: boolean) => set({ [key]: on })}
    />
  );

  const ipsLabel = __('Excluded IP addresses', 'clickpath');
  const badIp = ips.findIndex((_, i) => fieldError(`settings.excludedIps.${i}`));
  const ipsMessage =
    badIp >= 0
      ? sprintf(
          /* translators: 1: address as typed, 2: the API's message */
          __('“%1$s”: %2$s', 'clickpath'),
          ips[badIp] ?? '',
          fieldMessage(__('The address', 'clickpath'), fieldError(`settings.excludedIps.${badIp}`) ?? ''),
        )
      : fieldError('settings.excludedIps');

  return (
    <Card className="clickpath-report__card">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Collection', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        <form
          className="clickpath-dashboard__form"
          onSubmit={submit}
          aria-label={__('Collection options', 'clickpath')}
        >
          <Feedback
            error={error}
            success={saved}
            onRemove={() => {
              clearError();
              setSaved('');
            }}
          />
          <SelectControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            {...field(
              'identityMode',
              __('Visitor identity', 'clickpath'),
              draft.identityMode === 'first-party'
                ? __(
                    'A first-party cookie links a visitor’s visits across days; depending on where your visitors live, you may need their consent.',
                    'clickpath',
                  )
                : __('No cookie and nothing stored on the device: a visitor counts anew each day.', 'clickpath'),
            )}
            value={draft.identityMode}
            options={[
              { value: 'cookieless', label: __('Cookieless (no consent banner needed)', 'clickpath') },
              { value: 'first-party', label: __('First-party identifier (returning visitors)', 'clickpath') },
            ]}
            onChange={(mode: string) => set({ identityMode: mode as SiteSettings['identityMode'] })}
          />
          {toggle(
            'honorDoNotTrack',
            __('Respect Do Not Track and Global Privacy Control', 'clickpath'),
            __('Browsers sending either signal are not counted at all.', 'clickpath'),
          )}
          {toggle('trackOutbound', __('Track outbound link clicks', 'clickpath'))}
          {toggle('trackDownloads', __('Track file downloads', 'clickpath'))}
          {toggle('trackEngagement', __('Measure engaged time', 'clickpath'))}
          <TextareaControl
            __nextHasNoMarginBottom
            {...fieldProps(
              ipsLabel,
              ipsMessage,
              __(
                'One address or range a line, e.g. 203.0.113.7 or 10.0.0.0/8. Their visits are not counted.',
                'clickpath',
              ),
            )}
            value={draft.excludedIps}
            onChange={(excludedIps: string) => set({ excludedIps })}
            rows={3}
          />
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            {...field('visitTimeoutMinutes', __('A visit ends after this many idle minutes', 'clickpath'))}
            type="number"
            min={5}
            max={240}
            value={draft.visitTimeoutMinutes}
            onChange={(visitTimeoutMinutes: string) => set({ visitTimeoutMinutes })}
          />
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            {...field(
              'rawEventRetentionDays',
              __('Keep detailed visit records for (days)', 'clickpath'),
              __('Aggregate counts are kept; visitor clickpaths older than this are deleted.', 'clickpath'),
            )}
            type="number"
            min={1}
            max={3650}
            value={draft.rawEventRetentionDays}
            onChange={(rawEventRetentionDays: string) => set({ rawEventRetentionDays })}
          />
          <Button variant="primary" type="submit" isBusy={busy} disabled={busy}>
            {__('Save collection options', 'clickpath')}
          </Button>
        </form>
      </CardBody>
    </Card>
  );
}
