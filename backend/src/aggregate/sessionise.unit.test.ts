import { Types } from 'mongoose';

import { VISIT_ATTRIBUTES, type RawEvent, type VisitAttributes, type VisitDoc } from './model';
import { closeVisits, sessionise, type SiteConfig } from './sessionise';
import { emptyState, VISIT_OPEN_MS } from './state';

const SITE = new Types.ObjectId('5f0000000000000000000001');
const MIN = 60_000;
const T0 = Date.parse('2026-03-10T10:00:00Z');
const NO_ATTRIBUTES = Object.fromEntries(VISIT_ATTRIBUTES.map((a) => [a, ''])) as VisitAttributes;
const SITES = new Map<string, SiteConfig>([[String(SITE), { timeoutMs: 30 * MIN, firstParty: true }]]);

/** `kind@minutes[:path]` of visitor alice, e.g. `pv@0:/a`; events frozen, so sessionising cannot change them. */
function events(hits: string[]): RawEvent[] {
  return hits.map((hit, i) => {
    const [kind, rest] = hit.split('@') as [RawEvent['kind'], string];
    const [minutes, path] = rest.split(':');
    const ts = new Date(T0 + Number(minutes) * MIN);
    return Object.freeze({
      ...NO_ATTRIBUTES,
      _id: `${String(SITE)}:e${i}`,
      siteId: SITE,
      ts,
      day: '2026-03-10',
      hour: '2026-03-10T10',
      kind,
      vid: 'f:alice',
      path: path ?? '/',
      name: '',
      engagedMs: 1000,
      notFound: false,
      userId: '',
      visitId: '',
    });
  });
}

describe('sessionise: which visit each hit becomes part of', () => {
  // Each hit is placed as `<visit number>` (in the order visits opened), `+` when it opened
  // the visit, `>` when it became the entry page, or `-` when it joined no visit.
  it.each<[string, string[], string[]]>([
    ['one pageview', ['pv@0'], ['1+>']],
    ['pageviews within the timeout', ['pv@0:/a', 'pv@30:/b', 'pv@59:/c'], ['1+>', '1', '1']],
    ['a pageview after the timeout', ['pv@0', 'pv@31'], ['1+>', '2+>']],
    ['a custom event first, then a pageview', ['ev@0', 'pv@5'], ['1+', '1>']],
    ['an identify call alone', ['id@0'], ['1+']],
    ['an engagement ping alone', ['en@0'], ['-']],
    ['an engagement ping long after the last pageview', ['pv@0', 'en@200'], ['1+>', '1']],
    [
      'a pageview within the timeout of a ping that lengthened the visit',
      ['pv@0', 'en@20', 'pv@50'],
      ['1+>', '1', '1'],
    ],
    [
      'a pageview past the timeout of a ping that lengthened the visit',
      ['pv@0', 'en@20', 'pv@51'],
      ['1+>', '1', '2+>'],
    ],
    ['a pageview after a ping too late to lengthen the visit', ['pv@0', 'en@40', 'pv@45'], ['1+>', '1', '2+>']],
  ])('when a visitor sends %s, then the hits are placed %j', (_label, hits, placed) => {
    const result = sessionise(events(hits), SITES, emptyState());
    const order = result.changes.map((c) => c.visit._id);
    expect(
      result.hits.map(({ visit, opened, entered }) =>
        visit ? `${order.indexOf(visit._id) + 1}${opened ? '+' : ''}${entered ? '>' : ''}` : '-',
      ),
    ).toEqual(placed);
    expect(result.changes.every((c) => c.before === null)).toBe(true);
  });

  it('when a site is unknown, then its events are left out', () => {
    const result = sessionise(events(['pv@0']), new Map(), emptyState());
    expect(result).toEqual({ hits: [], changes: [], eventsByVisit: new Map() });
  });
});

describe('closeVisits', () => {
  const visit = (id: string, idle: number) => ({ _id: id, lastSeen: new Date(T0 - idle) }) as VisitDoc;
  it.each<[string, number, boolean]>([
    ['last active the open window ago', VISIT_OPEN_MS, false],
    ['last active 1 ms more than the open window ago', VISIT_OPEN_MS + 1, true],
  ])('when a visit was %s, then it is closed: %s', (_label, idle, closed) => {
    const changed = [visit('changed', idle)];
    const open = new Map([['untouched', visit('untouched', idle)]]);
    const result = closeVisits(changed, open, T0);
    expect(result.closed.map((v) => v._id)).toEqual(closed ? ['changed', 'untouched'] : []);
    expect(result.open.map((v) => v._id)).toEqual(closed ? [] : ['changed']);
  });
});
