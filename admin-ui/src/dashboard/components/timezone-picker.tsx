/**
 * WordPress dependencies
 */
import { ComboboxControl } from '@wordpress/components';
import { createElement, useMemo } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldProps } from '../../lib/field-errors';
import { zoneLabel, zoneNames, zoneNow } from '../../lib/timezones';

/**
 * A searchable list of IANA time zones by their current names ("kolkata", "new york" find
 * theirs); the help line shows the time there now, so a wrong pick shows at a glance.
 */
export function TimezonePicker({
  label,
  value,
  onChange,
  error,
}: {
  label: string;
  value: string;
  onChange: (zone: string) => void;
  error?: string | undefined;
}) {
  const options = useMemo(() => zoneNames([value]).map((zone) => ({ value: zone, label: zoneLabel(zone) })), [value]);
  const now = value ? zoneNow(value) : '';
  return (
    <ComboboxControl
      __nextHasNoMarginBottom
      __next40pxDefaultSize
      {...fieldProps(
        label,
        error,
        /* translators: %s: the time now in the chosen zone, e.g. "14:05 GMT+1" */
        now ? sprintf(__('Now %s there. Type to search, e.g. “new york”.', 'clickpath'), now) : undefined,
      )}
      value={value}
      options={options}
      // Clearing the field keeps the last zone: a site always has one.
      onChange={(zone?: string | null) => {
        if (zone) onChange(zone);
      }}
      allowReset={false}
    />
  );
}
