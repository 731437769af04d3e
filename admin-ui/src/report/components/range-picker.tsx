/**
 * WordPress dependencies
 */
import { Button, SelectControl, TextControl } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldSize } from '../../lib/field-size';
import type { Compare, DayRange } from '../../data/types';
import { isValidRange, PRESETS, type Preset } from '../../lib/dates';
import { formatDayRange } from '../../lib/format';

export const presetLabel = (preset: Preset): string =>
  ({
    today: __('Today', 'clickpath'),
    yesterday: __('Yesterday', 'clickpath'),
    '7d': __('Last 7 days', 'clickpath'),
    '30d': __('Last 30 days', 'clickpath'),
    month: __('This month', 'clickpath'),
    last_month: __('Last month', 'clickpath'),
    '12mo': __('Last 12 months', 'clickpath'),
    custom: __('Custom range', 'clickpath'),
  })[preset];

interface RangePickerProps {
  period: Preset;
  range: DayRange;
  compare: Compare;
  onChange: (change: { period: Preset; range?: DayRange; compare?: Compare }) => void;
}

/** Period presets, a custom from/to, and the comparison choice. */
export function RangePicker({ period, range, compare, onChange }: RangePickerProps) {
  const [custom, setCustom] = useState<DayRange>(range);
  const [editing, setEditing] = useState(period === 'custom');
  const valid = isValidRange(custom);
  return (
    <div className="clickpath-report__range">
      <SelectControl
        __nextHasNoMarginBottom
        {...fieldSize()}
        label={__('Date range', 'clickpath')}
        value={editing ? 'custom' : period}
        options={PRESETS.map((p) => ({ value: p, label: presetLabel(p) }))}
        onChange={(value: string) => {
          if (value === 'custom') {
            setCustom(range);
            setEditing(true);
            return;
          }
          setEditing(false);
          onChange({ period: value as Preset });
        }}
      />
      {editing && (
        <form
          className="clickpath-report__custom-range"
          onSubmit={(event) => {
            event.preventDefault();
            if (valid) onChange({ period: 'custom', range: custom });
          }}
        >
          <TextControl
            __nextHasNoMarginBottom
            {...fieldSize()}
            type="date"
            label={__('From', 'clickpath')}
            value={custom.from}
            max={custom.to}
            onChange={(from: string) => setCustom({ ...custom, from })}
          />
          <TextControl
            __nextHasNoMarginBottom
            {...fieldSize()}
            type="date"
            label={__('To', 'clickpath')}
            value={custom.to}
            min={custom.from}
            onChange={(to: string) => setCustom({ ...custom, to })}
          />
          <Button variant="primary" type="submit" disabled={!valid}>
            {__('Apply', 'clickpath')}
          </Button>
        </form>
      )}
      <SelectControl
        __nextHasNoMarginBottom
        {...fieldSize()}
        label={__('Compare with', 'clickpath')}
        value={compare}
        options={[
          { value: 'previous', label: __('Previous period', 'clickpath') },
          { value: 'none', label: __('No comparison', 'clickpath') },
        ]}
        onChange={(value: string) => onChange({ period, compare: value as Compare })}
      />
    </div>
  );
}

interface RangeSummaryProps {
  period: Preset;
  range: DayRange;
  /** Takes the reader back to the range fields. */
  onEdit: () => void;
}

/**
 * The range in one line ("Last 30 days Nov 8 – Dec 7, 2026"; only the days for a custom range),
 * for the bar that stays on a phone's screen after the fields have scrolled away.
 */
export function RangeSummary({ period, range, onEdit }: RangeSummaryProps) {
  return (
    <button type="button" className="clickpath-report__range-summary" onClick={onEdit}>
      <span className="clickpath-visually-hidden">{__('Change the date range:', 'clickpath')} </span>
      {period !== 'custom' && <strong>{presetLabel(period)}</strong>}{' '}
      <span>{formatDayRange(range.from, range.to)}</span>
    </button>
  );
}
