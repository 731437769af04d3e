import { type mongo } from 'mongoose';

import { deadlineOptions } from '../lib/deadline';
import { dropPartition, ensureIndexes, groupBy, historyDb, insertIgnoringDuplicates, type DaySpan } from './history';
import type { RawEvent, VisitDoc } from './model';

/**
 * Which days hold a visitor's data, and which visitors a user id was linked to
 * (decision 0008): erasure, a person's export and a visitor's whole history read
 * those days' partitions instead of every stored day.
 *
 * `visitor_index_<yyyymm>` (month of the site-local day) holds append-only
 * documents written with the history they describe:
 * - `seen`: one per site × batch × day, the visitor ids with events that day;
 * - `users`: one per site × batch × start day of the visits that closed in the
 *   batch with a user id, each link a user id and the visitor id it named.
 * Ids are made from the batch, so a replayed batch inserts nothing new. Only
 * erasure rewrites a document (to take visitor ids out); retention and site
 * deletion delete them with the history they describe.
 *
 * The ids are kept as one string per document, each id between two SEPARATORs,
 * and found with a regular expression: FerretDB decodes every value of every
 * document it scans, so an array of 500 ids per document took ~10× as long to
 * search as the same ids in one string (decision 0008). On MongoDB the
 * `{siteId, day}` index keeps the search to the site's own documents.
 */

const PREFIX = 'visitor_index_';
/** Entries per document: keeps the largest well under MongoDB's 16 MiB whatever the ids' lengths (bounded by the event schema). */
const MAX_ENTRIES = 5_000;
/** Between ids in a list: a control character, which no visitor or user id may hold (collect/event-schema.ts). */
const SEPARATOR = '\u0001';

export interface VisitorIndexDoc {
  /** `${siteId}:${day}:${kind}:${part}:${batchId}` */
  _id: string;
  siteId: mongo.ObjectId;
  day: string;
  kind: 'seen' | 'users';
  /** Visitors with events on `day` (`seen`), or the visitors the links name (`users`): a list (`idList`). */
  vids: string;
  /** The distinct user ids of the links, a list. */
  users: string;
  /** Each link a user id and the visitor id it identified, alternating: a list. */
  links: string;
}

/** Ids as one string, each between two separators. */
const idList = (ids: readonly string[]) => (ids.length === 0 ? '' : `${SEPARATOR}${ids.join(SEPARATOR)}${SEPARATOR}`);
const idsOf = (list: string) => (list === '' ? [] : list.slice(1, -1).split(SEPARATOR));
/** Ids one search names at most: a person may have many visitor ids, and a pattern must stay small. */
const IDS_PER_SEARCH = 100;
/** Filters for lists holding any of `ids`, one per group of IDS_PER_SEARCH ids. */
const holdingAny = (ids: readonly string[]) =>
  chunked(ids, IDS_PER_SEARCH).map((group) => ({
    $regex: `${SEPARATOR}(${group.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})${SEPARATOR}`,
  }));
const linksOf = (doc: Pick<VisitorIndexDoc, 'links'>) => {
  const flat = idsOf(doc.links);
  return Array.from({ length: flat.length / 2 }, (_, i) => ({ user: flat[2 * i]!, vid: flat[2 * i + 1]! }));
};

const monthOf = (day: string) => day.slice(0, 7).replace('-', '');
const indexOf = (month: string) => historyDb().collection<VisitorIndexDoc>(`${PREFIX}${month}`);

/** Months (yyyymm) that have an index collection, in order. */
async function indexMonths(): Promise<string[]> {
  const names = await historyDb()
    .listCollections({ name: { $regex: `^${PREFIX}\\d{6}$` } }, { nameOnly: true })
    .toArray();
  return names.map((c) => c.name.slice(PREFIX.length)).sort();
}

/** Months of `span` (every indexed month when null), as index collection suffixes. */
async function monthsIn(span: DaySpan | null): Promise<string[]> {
  const months = await indexMonths();
  return span ? months.filter((m) => m >= monthOf(span.from) && m <= monthOf(span.to)) : months;
}

function chunked<T>(items: readonly T[], size = MAX_ENTRIES): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

async function insertByMonth(docs: VisitorIndexDoc[]): Promise<void> {
  for (const [month, list] of groupBy(docs, (doc) => monthOf(doc.day))) {
    const collection = indexOf(month);
    await ensureIndexes(collection, [{ siteId: 1, day: 1 }]);
    await insertIgnoringDuplicates(collection, list);
  }
}

const bySiteDay = <T extends { siteId: mongo.ObjectId; day: string }>(items: readonly T[]) =>
  groupBy(items, (item) => `${String(item.siteId)}:${item.day}`);

/** Records, for a batch's stored events, which visitors had events on which day. */
export async function indexEventVisitors(batchId: string, events: readonly RawEvent[]): Promise<void> {
  const docs: VisitorIndexDoc[] = [];
  for (const [key, list] of bySiteDay(events)) {
    const { siteId, day } = list[0]!;
    chunked([...new Set(list.map((e) => e.vid))]).forEach((vids, part) =>
      docs.push({
        _id: `${key}:seen:${part}:${batchId}`,
        siteId,
        day,
        kind: 'seen',
        vids: idList(vids),
        users: '',
        links: '',
      }),
    );
  }
  await insertByMonth(docs);
}

/** Records the user ids of a batch's closed visits, each with the visitor it identified. */
export async function indexUserLinks(batchId: string, visits: readonly VisitDoc[]): Promise<void> {
  const docs: VisitorIndexDoc[] = [];
  for (const [key, list] of bySiteDay(visits.filter((v) => v.userId))) {
    const { siteId, day } = list[0]!;
    const links = new Map(list.map((v) => [`${v.userId}${SEPARATOR}${v.vid}`, { user: v.userId, vid: v.vid }]));
    chunked([...links.values()]).forEach((part, n) =>
      docs.push({
        _id: `${key}:users:${n}:${batchId}`,
        siteId,
        day,
        kind: 'users',
        vids: idList([...new Set(part.map((link) => link.vid))]),
        users: idList([...new Set(part.map((link) => link.user))]),
        links: idList(part.flatMap((link) => [link.user, link.vid])),
      }),
    );
  }
  await insertByMonth(docs);
}

/** The site-local days (sorted) on which any of `vids` had events or started a visit. */
export async function daysOfVisitors(siteId: mongo.ObjectId, vids: readonly string[]): Promise<string[]> {
  if (vids.length === 0) return [];
  const months = await indexMonths();
  const found = await Promise.all(
    months.flatMap((month) =>
      holdingAny(vids).map((filter) =>
        indexOf(month)
          .find({ siteId, vids: filter }, { ...deadlineOptions(), projection: { day: 1 } })
          .toArray(),
      ),
    ),
  );
  return [...new Set(found.flat().map((doc) => doc.day))].sort();
}

/** Every visitor id whose closed visits a user id identified. */
export async function visitorsOfUser(siteId: mongo.ObjectId, userId: string): Promise<string[]> {
  const perMonth = await Promise.all(
    (await indexMonths()).map((month) =>
      indexOf(month)
        .find({ siteId, users: holdingAny([userId])[0]! }, { ...deadlineOptions(), projection: { links: 1 } })
        .toArray(),
    ),
  );
  const vids = perMonth.flat().flatMap((doc) =>
    linksOf(doc)
      .filter((link) => link.user === userId)
      .map((link) => link.vid),
  );
  return [...new Set(vids)];
}

/**
 * Takes erased visitors out of the index: documents naming them are rewritten
 * without them, or deleted when empty. `days` are theirs (`daysOfVisitors`):
 * every document naming them is in those days' months.
 */
export async function forgetIndexedVisitors(
  siteId: mongo.ObjectId,
  vids: readonly string[],
  days: readonly string[],
): Promise<void> {
  if (vids.length === 0) return;
  const erased = new Set(vids);
  for (const month of new Set(days.map(monthOf))) {
    const collection = indexOf(month);
    const docs = new Map<string, VisitorIndexDoc>();
    for (const filter of holdingAny(vids)) {
      for (const doc of await collection.find({ siteId, vids: filter }, deadlineOptions()).toArray())
        docs.set(doc._id, doc);
    }
    for (const doc of docs.values()) {
      const links = linksOf(doc).filter((link) => !erased.has(link.vid));
      const kept = idsOf(doc.vids).filter((vid) => !erased.has(vid));
      if (kept.length === 0) await collection.deleteOne({ _id: doc._id });
      else {
        await collection.replaceOne(
          { _id: doc._id },
          {
            ...doc,
            vids: idList(kept),
            links: idList(links.flatMap((link) => [link.user, link.vid])),
            users: idList([...new Set(links.map((link) => link.user))]),
          },
        );
      }
    }
  }
}

/**
 * Deletes a site's index documents of the days in `span` (every day when null);
 * with `kind`, only those (a rebuild rewrites the visits, so their user links).
 */
export async function deleteSiteIndex(
  siteId: mongo.ObjectId,
  span: DaySpan | null,
  kind?: VisitorIndexDoc['kind'],
): Promise<void> {
  const filter: mongo.Filter<VisitorIndexDoc> = { siteId };
  if (span) filter.day = { $gte: span.from, $lte: span.to };
  if (kind) filter.kind = kind;
  for (const month of await monthsIn(span)) await indexOf(month).deleteMany(filter);
}

/** Drops the index months wholly before `day`: every site's history there is past its retention. */
export async function dropIndexBefore(day: string): Promise<void> {
  for (const month of (await indexMonths()).filter((m) => m < monthOf(day))) await dropPartition(indexOf(month));
}
