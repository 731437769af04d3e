import mongoose, { type mongo } from 'mongoose';

/**
 * The audit log: one append-only collection per UTC month, `audit_<yyyymm>`, like the
 * history partitions (decision 0006). Entries are only ever inserted; a read names the
 * months it needs (on FerretDB every read scans its collection, so a month's read costs
 * that month, never the whole log), and retention drops whole months.
 */

export const AUDIT_ACTIONS = [
  'site.created',
  'site.updated',
  'site.two_factor_policy',
  'site.ownership_transferred',
  'site.relay_secret_issued',
  'key.created',
  'key.rotated',
  'key.revoked',
  'invitation.sent',
  'invitation.resent',
  'invitation.revoked',
  'member.joined',
  'member.role_changed',
  'member.removed',
  'member.left',
  'goal.created',
  'goal.updated',
  'goal.deleted',
  'funnel.created',
  'funnel.deleted',
  'webhook.created',
  'webhook.deleted',
  'alerts.updated',
  'visitor.erased',
  'person.erased',
  'person.exported',
  'export.events',
  'export.site',
  'email_report.added',
  'email_report.removed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who did it, as they were at the time; never an IP address. */
export type StoredActor =
  | { type: 'account'; id: string; email: string }
  | { type: 'key'; id: string; name: string; prefix: string; createdBy: string };

export type DetailValue = string | number | boolean | null | DetailValue[] | { [key: string]: DetailValue };
export type AuditDetails = Record<string, DetailValue>;

export interface AuditDoc {
  _id: mongo.ObjectId;
  siteId: mongo.ObjectId;
  at: Date;
  action: AuditAction;
  actor: StoredActor;
  details: AuditDetails;
}

const PREFIX = 'audit_';
const PARTITION = /^audit_(\d{4})(\d{2})$/;

function db(): mongo.Db {
  const database = mongoose.connection.db;
  if (!database) throw new Error('database not connected');
  return database;
}

/** The UTC month (YYYY-MM) a time falls in. */
export const monthOf = (at: Date): string => at.toISOString().slice(0, 7);

/** The first instant of a UTC month (YYYY-MM). */
export const monthStart = (month: string): Date => new Date(`${month}-01T00:00:00.000Z`);

/** The UTC month after `month` (YYYY-MM). */
export function nextMonth(month: string): string {
  const start = monthStart(month);
  return monthOf(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1)));
}

export const auditCollection = (month: string) => db().collection<AuditDoc>(`${PREFIX}${month.replace('-', '')}`);

/** Months (YYYY-MM) that have a partition, oldest first. */
export async function auditMonths(): Promise<string[]> {
  const names = await db()
    .listCollections({ name: { $regex: PARTITION.source } }, { nameOnly: true })
    .toArray();
  return names
    .map((c) => PARTITION.exec(c.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}-${m[2]}`)
    .sort();
}

/** Partitions whose index this process has already ensured. */
const indexed = new Set<string>();

/** The month's partition, with its index (site, then newest first) ensured once per process. */
export async function writablePartition(month: string): Promise<mongo.Collection<AuditDoc>> {
  const collection = auditCollection(month);
  if (!indexed.has(collection.collectionName)) {
    await collection.createIndex({ siteId: 1, at: -1, _id: -1 });
    indexed.add(collection.collectionName);
  }
  return collection;
}

/** Drops a month's partition whole (retention). */
export async function dropPartition(month: string): Promise<void> {
  const collection = auditCollection(month);
  indexed.delete(collection.collectionName);
  // False, not an error, when another replica's job dropped it first.
  await collection.drop();
}
