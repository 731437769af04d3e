/**
 * WordPress dependencies
 */
import { Card, CardBody, CardFooter, CardHeader, SelectControl, TabPanel } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldSize } from '../../lib/field-size';
import type { Dimension, Filter, RangeQuery, SortKey } from '../../data/types';
import { dimensionLabel } from '../labels';
import { BreakdownTable } from './breakdown-table';
import { ExportButtons } from './export-buttons';

export interface BreakdownTab {
  name: string;
  title: string;
  /** One dimension, or several to choose from (UTM source, medium…). */
  dims: Dimension[];
}

interface BreakdownCardProps {
  title: string;
  tabs: BreakdownTab[];
  query: RangeQuery;
  onFilter: (filter: Filter) => void;
}

const GEO_DIMENSIONS = new Set<Dimension>(['country', 'region', 'city']);

/** A card of related breakdowns in tabs, with an export of the one shown. */
export function BreakdownCard({ title, tabs, query, onFilter }: BreakdownCardProps) {
  const [tabName, setTabName] = useState(tabs[0]?.name ?? '');
  const [choice, setChoice] = useState<Record<string, Dimension>>({});
  const [sort, setSort] = useState<{ sort: SortKey; order: 'asc' | 'desc' }>({ sort: 'visitors', order: 'desc' });
  const tab = tabs.find((t) => t.name === tabName) ?? tabs[0];
  const dimOf = (t: BreakdownTab): Dimension => choice[t.name] ?? t.dims[0]!;
  const current = tab ? dimOf(tab) : undefined;

  return (
    <Card className="clickpath-report__card clickpath-report__card--breakdown">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{title}</h2>
      </CardHeader>
      <CardBody>
        <TabPanel
          className="clickpath-report__tabs"
          tabs={tabs.map((t) => ({ name: t.name, title: t.title }))}
          onSelect={(name: string) => setTabName(name)}
        >
          {(selected: { name: string }) => {
            const t = tabs.find((x) => x.name === selected.name);
            if (!t) return null;
            const dim = dimOf(t);
            return (
              <div className="clickpath-report__tab">
                {t.dims.length > 1 && (
                  <SelectControl
                    __nextHasNoMarginBottom
                    {...fieldSize()}
                    label={__('Show', 'clickpath')}
                    value={dim}
                    options={t.dims.map((d) => ({ value: d, label: dimensionLabel(d) }))}
                    onChange={(value: string) => setChoice({ ...choice, [t.name]: value as Dimension })}
                  />
                )}
                <BreakdownTable
                  dim={dim}
                  query={query}
                  onFilter={onFilter}
                  onSortChange={(s, o) => setSort({ sort: s, order: o })}
                />
              </div>
            );
          }}
        </TabPanel>
      </CardBody>
      {current && (
        <CardFooter>
          <ExportButtons dim={current} query={{ ...query, ...sort }} />
          {GEO_DIMENSIONS.has(current) && (
            // DB-IP Lite is CC BY 4.0: its results must be shown with this credit.
            <a className="clickpath-report__attribution" href="https://db-ip.com" target="_blank" rel="noreferrer">
              {__('IP Geolocation by DB-IP', 'clickpath')}
            </a>
          )}
        </CardFooter>
      )}
    </Card>
  );
}

/** The report's five breakdown cards. */
export const BREAKDOWN_CARDS = (): Array<{ id: string; title: string; tabs: BreakdownTab[] }> => [
  {
    id: 'pages',
    title: __('Pages', 'clickpath'),
    tabs: [
      { name: 'page', title: __('Top pages', 'clickpath'), dims: ['page'] },
      { name: 'entry', title: __('Entry pages', 'clickpath'), dims: ['entry_page'] },
      { name: 'exit', title: __('Exit pages', 'clickpath'), dims: ['exit_page'] },
    ],
  },
  {
    id: 'sources',
    title: __('Sources', 'clickpath'),
    tabs: [
      { name: 'source', title: __('Sources', 'clickpath'), dims: ['source'] },
      { name: 'channel', title: __('Channels', 'clickpath'), dims: ['channel'] },
      { name: 'referrer', title: __('Referrers', 'clickpath'), dims: ['referrer'] },
      {
        name: 'utm',
        title: __('UTM', 'clickpath'),
        dims: ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'],
      },
    ],
  },
  {
    id: 'locations',
    title: __('Locations', 'clickpath'),
    tabs: [
      { name: 'country', title: __('Countries', 'clickpath'), dims: ['country'] },
      { name: 'region', title: __('Regions', 'clickpath'), dims: ['region'] },
      { name: 'city', title: __('Cities', 'clickpath'), dims: ['city'] },
    ],
  },
  {
    id: 'devices',
    title: __('Devices', 'clickpath'),
    tabs: [
      { name: 'browser', title: __('Browsers', 'clickpath'), dims: ['browser', 'browser_version'] },
      { name: 'os', title: __('OS', 'clickpath'), dims: ['os', 'os_version'] },
      { name: 'device', title: __('Devices', 'clickpath'), dims: ['device'] },
      { name: 'screen', title: __('Screens', 'clickpath'), dims: ['screen'] },
      { name: 'language', title: __('Languages', 'clickpath'), dims: ['language'] },
    ],
  },
  {
    id: 'events',
    title: __('Events', 'clickpath'),
    tabs: [
      { name: 'event', title: __('Events', 'clickpath'), dims: ['event'] },
      { name: 'event_prop', title: __('Event properties', 'clickpath'), dims: ['event_prop'] },
    ],
  },
];
