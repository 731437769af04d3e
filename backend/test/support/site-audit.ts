import mongoose from 'mongoose';

import { family } from './commands';

/**
 * The shard-key audit (issue 11): every query the backend sends must carry the
 * site it is about — a `siteId` in its filter or documents, or an `_id` that
 * starts with the site id — except on the collections below, which are looked
 * up across sites by design (docs/scaling.md lists them with the same reasons).
 * Every test file's connection is monitored (test/support/app.ts); commands the
 * test code sends itself (setup, assertions) are told apart by their stack and
 * left out. test/support/site-audit-setup.ts fails a file that saw a violation.
 */
export const CROSS_SITE: Record<string, string> = {
  accounts: 'an account spans sites: found by id or email',
  sessions: 'found by the hash of the session token',
  account_tokens: 'found by the hash of the emailed token',
  recovery_codes: "an account's two-factor recovery codes",
  login_challenges: 'a sign-in waiting for its second factor, found by its token',
  apikeys: 'found by the hash of the key, which then names its site',
  sites: "one small document per site: found by its public id (the collector) or by an account's sites",
  members: "an account's sites are found by the account",
  invitations: 'found by the hash of the invitation token',
  spent_keys: 'single-use codes, links and invitations already used, found by the hash of what was spent',
  secrets: 'installation-wide secrets',
  migrations: 'installation-wide schema version',
  salts: 'one salt per day for the whole installation',
  outbox: 'the mail queue of the installation',
  ratelimits: 'rate limits count per client address or account, not per site',
  retention_marks: 'one small document per site, read all at once by the daily retention job',
  sweep_marks: "where the orphan sweep's next run starts",
  locks: "the aggregator lease's working document (pending batch, state epoch)",
  lease_terms: 'the aggregator lease: who holds it, taken by inserting the next term',
  inbox: "the collector's landing zone before decision 0006, read until empty",
  'inbox_<slot>': "the collector's landing zone: one document per group commit, holding events of any sites",
  'event_claims_<day>': 'event ids are claimed in a batch that holds events of any sites',
  'aggstate_<epoch>_visits': "the aggregator's state journal: one record per batch, of any sites",
  'aggstate_<epoch>_days': "the aggregator's state journal: one record per batch, of any sites",
  dead_letters: 'inserted with their site; read only by operators',
};

/** Backend code that reads across sites on purpose, by the function or folder the command came from. */
export const CROSS_SITE_CALLERS: ReadonlyArray<{ from: RegExp; reason: string }> = [
  {
    from: /\bdueOpenDays \(/,
    reason: "the aggregator's search for open rollup days due to be folded: every site's, once per day of its clock",
  },
  { from: /[/\\]src[/\\]migrations[/\\]/, reason: 'a migration passes over all stored data once' },
  {
    from: /\bsweepOrphans \(/,
    reason: 'the orphan sweep looks for data of sites that no longer exist, a few collections a run',
  },
  {
    from: /\bsitesWithPendingGoalRollups \(/,
    reason: "the goal backfill job's search for sites whose goal conversions are due: one small document per site",
  },
  {
    from: /\bdueDeliveries \(/,
    reason: "the webhook delivery job's search for due deliveries: the queue holds only pending ones, of any sites",
  },
  { from: /\bpruneWebhookClaims \(/, reason: 'expired delivery claims are pruned by date, whatever their site' },
  {
    from: /\bsitesListeningFor \(/,
    reason: "the weekly summary job's search for sites with a webhook that wants it: at most 10 per site",
  },
  {
    from: /\bsitesWithAlerts \(/,
    reason: "the alert check's search for sites with an alert on: one small document per site",
  },
  { from: /\bpruneAlertEvents \(/, reason: 'alerts older than 30 days are pruned by date, whatever their site' },
  {
    from: /\bdueAlertMails \(/,
    reason: "the alert check's search for mail due to be sent: only unsent alert mail stays, of any sites",
  },
  {
    from: /\ballSubscriptions \(/,
    reason: "the email report job's search for due reports: at most 50 small subscription documents per site",
  },
  { from: /\bpruneEmailReportSends \(/, reason: 'email report send records are pruned by date, whatever their site' },
];

export interface Violation {
  command: string;
  collection: string;
  filter: string;
  /** The first backend frame that sent it. */
  from: string;
}

const violations: Violation[] = [];

const SITE_ID = /^[0-9a-f]{24}(:|$)/;
/** Commands that name no document (metadata, cursors, sessions). */
const AUDITED = new Set(['find', 'aggregate', 'count', 'distinct', 'update', 'delete', 'insert', 'findAndModify']);

type Doc = Record<string, unknown>;

const isObjectId = (value: unknown) => value instanceof mongoose.mongo.ObjectId;

function sitePrefixed(id: unknown): boolean {
  if (typeof id === 'string') return SITE_ID.test(id);
  if (id && typeof id === 'object' && !isObjectId(id)) {
    const ops = id as Doc;
    if (Array.isArray(ops.$in)) return ops.$in.length > 0 && ops.$in.every(sitePrefixed);
    if (typeof ops.$regex === 'string') return /^\^[0-9a-f]{24}/.test(ops.$regex);
    if ('$eq' in ops) return sitePrefixed(ops.$eq);
  }
  return false;
}

/** Whether a filter or document names a site. On `sites`, the `_id` is the site. */
function carriesSite(doc: unknown, collection: string): boolean {
  if (!doc || typeof doc !== 'object') return false;
  const d = doc as Doc;
  if (d.siteId !== undefined) return true;
  if (collection === 'sites' && d._id !== undefined) return true;
  if (d._id !== undefined && sitePrefixed(d._id)) return true;
  if (Array.isArray(d.$and) && d.$and.some((branch) => carriesSite(branch, collection))) return true;
  if (Array.isArray(d.$or) && d.$or.length > 0 && d.$or.every((branch) => carriesSite(branch, collection))) return true;
  return false;
}

export function commandCarriesSite(name: string, command: Doc, collection: string): boolean {
  switch (name) {
    case 'find':
    case 'count':
    case 'distinct':
      return carriesSite(command.query ?? command.filter, collection);
    case 'findAndModify':
      return carriesSite(command.query, collection);
    case 'aggregate': {
      const [first] = (command.pipeline ?? []) as Doc[];
      return carriesSite(first?.$match, collection);
    }
    case 'insert':
      return ((command.documents ?? []) as Doc[]).every(
        (doc) => collection === 'sites' || carriesSite(doc, collection),
      );
    case 'update':
      return ((command.updates ?? []) as Array<{ q: Doc }>).every((u) => carriesSite(u.q, collection));
    case 'delete':
      return ((command.deletes ?? []) as Array<{ q: Doc }>).every((d) => carriesSite(d.q, collection));
    default:
      return true;
  }
}

/** The backend frames (backend/src) that led to the command, innermost first, or null when only test code did. */
function backendCaller(): string | null {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 80;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const frames = stack
    .split('\n')
    .filter((line) => /[/\\]backend[/\\]src[/\\]/.test(line) && !/\.test\.ts/.test(line))
    .map((line) => line.trim().replace(/^at /, ''));
  return frames.length > 0 ? frames.join(' < ') : null;
}

function audit(event: { commandName: string; command: Doc }): void {
  const name = event.commandName;
  if (!AUDITED.has(name)) return;
  const collection = family(String(event.command[name] ?? ''));
  if (collection in CROSS_SITE || collection.startsWith('system.')) return;
  if (commandCarriesSite(name, event.command, collection)) return;
  const from = backendCaller();
  if (!from || CROSS_SITE_CALLERS.some((caller) => caller.from.test(from))) return;
  const filter = event.command.filter ?? event.command.query ?? event.command.updates ?? event.command.deletes;
  violations.push({ command: name, collection, filter: JSON.stringify(filter ?? {}).slice(0, 200), from });
}

/** Starts auditing the commands of mongoose's current connection (opened with `monitorCommands=true`). */
export function auditSiteKeys(): void {
  const client = mongoose.connection.getClient();
  client.off('commandStarted', audit);
  client.on('commandStarted', audit);
}

/** Runs `work` with `collection` audited like any other (the audit's own test). */
export async function auditingAlso(collection: string, work: () => Promise<unknown>): Promise<void> {
  const reason = CROSS_SITE[collection];
  delete CROSS_SITE[collection];
  try {
    await work();
  } finally {
    if (reason !== undefined) CROSS_SITE[collection] = reason;
  }
}

/** Returns the violations seen so far and forgets them (the audit's own test). */
export function takeSiteKeyViolations(): Violation[] {
  const taken = siteKeyViolations();
  violations.length = 0;
  return taken;
}

/** Violations seen so far in this test file, each distinct one once. */
export function siteKeyViolations(): Violation[] {
  const seen = new Map<string, Violation>();
  for (const v of violations) seen.set(`${v.command} ${v.collection} ${v.from}`, v);
  return [...seen.values()];
}
