import { pipeline } from 'node:stream/promises';
import { Readable, Transform, type Writable } from 'node:stream';

import { stringify } from 'csv-stringify';
import type { Types } from 'mongoose';

import { allVisits, rollupRows, siteEventsByDay, summariseVisitors, VISIT_ATTRIBUTES } from '../aggregate/read';
import type { SiteDoc } from '../sites/service';
import { Annotation, Funnel, Goal } from './model';
import type { DayRange } from './range';

/**
 * Spreadsheets run cells that start with these as formulas: = + - @ (and their fullwidth
 * forms, which some read as ASCII), after any spaces or control characters they skip; a
 * cell starting with a control character (NUL, tab, CR, ...) is suspect whatever follows.
 * A leading quote keeps them text.
 */
const FORMULA_START =
  /^(?:[\s\u0000-\u001f\u007f-\u009f]*[=+\-@\uff1d\uff0b\uff0d\uff20]|[\u0000-\u001f\u007f-\u009f])/;

/** A CSV cell's text: numbers as they are, anything else (text from visitors) defused. */
export function defuse(value: unknown): string {
  if (typeof value === 'number') return String(value);
  const text =
    value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** The response headers of a download: set by the route before it streams the file. */
export function attachment(filename: string, format: 'csv' | 'json'): Record<string, string> {
  return {
    'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename}.${format}"`,
    'Cache-Control': 'no-store',
  };
}

/** Writes rows as CSV (defused cells) or a JSON array to `out`, streaming. */
export async function sendRows(
  out: Writable,
  format: 'csv' | 'json',
  columns: string[],
  rows: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>,
): Promise<void> {
  const source = Readable.from(rows);
  if (format === 'csv') {
    await pipeline(
      source,
      new Transform({
        objectMode: true,
        transform(row: Record<string, unknown>, _enc, done) {
          done(
            null,
            columns.map((c) => defuse(row[c])),
          );
        },
      }),
      stringify({ header: true, columns }),
      out,
    );
    return;
  }
  let first = true;
  await pipeline(
    source,
    new Transform({
      objectMode: true,
      transform(row: Record<string, unknown>, _enc, done) {
        const chunk = (first ? '[\n' : ',\n') + JSON.stringify(row);
        first = false;
        done(null, chunk);
      },
      flush(done) {
        done(null, first ? '[]\n' : '\n]\n');
      },
    }),
    out,
  );
}

/** Columns of a raw-event export: the event itself, then its visit-level attributes. */
export const EVENT_COLUMNS = [
  'id',
  'ts',
  'kind',
  'visitorId',
  'visitId',
  'path',
  'title',
  'name',
  'props',
  'engagedMs',
  ...VISIT_ATTRIBUTES,
  'notFound',
];

/** Raw events of site-local days [from, to], oldest first, holding one day in memory at a time. */
export async function* rawEvents(siteId: Types.ObjectId, range: DayRange): AsyncGenerator<Record<string, unknown>> {
  for await (const { events } of siteEventsByDay(siteId, range)) {
    for (const { siteId: _site, hour: _hour, ...e } of events) {
      yield {
        ...e,
        id: e._id.slice(e._id.indexOf(':') + 1),
        ts: e.ts.toISOString(),
        visitorId: e.vid,
        _id: undefined,
        vid: undefined,
      };
    }
  }
}

/** The file name of a site's full export (without its extension). */
export const siteExportName = (site: SiteDoc) => `clickpath-${site.domain}-${new Date().toISOString().slice(0, 10)}`;

/**
 * Everything stored for a site, as one JSON document streamed section by section to `out`:
 * the site, goals, funnels, annotations, visitors, visits, raw events and rollups.
 * Data portability: what a site owner takes with them when they leave.
 */
export async function sendSiteExport(out: Writable, site: SiteDoc): Promise<void> {
  const siteId = site._id;
  const sections: Array<[string, () => AsyncIterable<unknown>]> = [
    ['goals', () => Goal.find({ siteId }).lean().cursor()],
    ['funnels', () => Funnel.find({ siteId }).lean().cursor()],
    ['annotations', () => Annotation.find({ siteId }).lean().cursor()],
    [
      'visitors',
      async function* () {
        yield* summariseVisitors(await allVisits(siteId));
      },
    ],
    [
      'visits',
      async function* () {
        yield* await allVisits(siteId);
      },
    ],
    [
      'events',
      async function* () {
        for await (const { events } of siteEventsByDay(siteId, null)) yield* events;
      },
    ],
    ['rollups', () => rollupRows(siteId)],
  ];
  async function* document(): AsyncGenerator<string> {
    // The relay secret is a credential, not the site's data.
    const { _id, ownerId: _owner, relaySecret: _secret, ...siteFields } = site;
    yield `{\n"exportedAt": ${JSON.stringify(new Date().toISOString())},\n"site": ${JSON.stringify({ id: _id, ...siteFields })}`;
    for (const [name, open] of sections) {
      yield `,\n${JSON.stringify(name)}: [`;
      let first = true;
      for await (const doc of open()) {
        yield (first ? '\n' : ',\n') + JSON.stringify(doc);
        first = false;
      }
      yield '\n]';
    }
    yield '\n}\n';
  }
  await pipeline(Readable.from(document()), out);
}
