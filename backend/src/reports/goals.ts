import { trusted, type Types } from 'mongoose';

import type { SiteGoal } from '../aggregate/compute';
import type { RawEvent } from '../aggregate/read';
import type { Actor } from '../audit/actor';
import { recordAudit } from '../audit/service';
import { AppError } from '../lib/errors';
import { globMatcher } from './glob';
import { Funnel, Goal, GoalBackfill, type FunnelDoc, type GoalDoc } from './model';

export type { FunnelDoc, GoalDoc } from './model';

export type GoalMatcher = (event: Pick<RawEvent, 'kind' | 'path' | 'name' | 'props'>) => boolean;

export function goalMatcher(goal: Pick<GoalDoc, 'kind' | 'match' | 'propKey' | 'propValue'>): GoalMatcher {
  if (goal.kind === 'page') {
    const matchesPath = globMatcher(goal.match);
    return (e) => e.kind === 'pv' && matchesPath(e.path);
  }
  return (e) =>
    e.kind === 'ev' &&
    e.name === goal.match &&
    (!goal.propKey ||
      String((e.props as Record<string, unknown> | undefined)?.[goal.propKey] ?? '') === goal.propValue);
}

export async function listGoals(siteId: Types.ObjectId): Promise<GoalDoc[]> {
  return Goal.find({ siteId }).sort({ createdAt: 1 }).lean<GoalDoc[]>();
}

export async function goalMatchers(siteId: Types.ObjectId): Promise<Map<string, GoalMatcher>> {
  return new Map((await listGoals(siteId)).map((g) => [g._id.toHexString(), goalMatcher(g)]));
}

/** What a goal counts, as one string: a backfill keeps older rollups only of goals whose definition it equals. */
export const goalDefinition = (g: Pick<GoalDoc, 'kind' | 'match' | 'propKey' | 'propValue'>) =>
  JSON.stringify([g.kind, g.match, g.propKey, g.propValue]);

/** The goals of these sites as the aggregator evaluates them, by site id (one query per batch). */
export async function goalsOfSites(siteIds: readonly Types.ObjectId[]): Promise<Map<string, SiteGoal[]>> {
  const out = new Map<string, SiteGoal[]>();
  if (siteIds.length === 0) return out;
  const goals = await Goal.find({ siteId: trusted({ $in: [...siteIds] }) })
    .sort({ createdAt: 1 })
    .lean<GoalDoc[]>();
  for (const goal of goals) {
    const site = String(goal.siteId);
    const list = out.get(site) ?? [];
    list.push({ id: goal._id.toHexString(), matches: goalMatcher(goal) });
    out.set(site, list);
  }
  return out;
}

/**
 * Records that what the site's conversions mean changed: every goal of the site and the
 * site's backfill move to a new revision, pending until a backfill has written it.
 * The goals first: a backfill reads the site's revision before the goals, so it never
 * marks a revision built with goals older than it.
 */
async function goalsChanged(siteId: Types.ObjectId): Promise<void> {
  await Goal.updateMany({ siteId }, { $inc: { revision: 1 }, $set: { rollupsPending: true } });
  await GoalBackfill.updateOne(
    { _id: String(siteId) },
    { $inc: { revision: 1 }, $set: { siteId, pending: true } },
    { upsert: true },
  );
}

/**
 * Has a site's goal conversions recounted although no goal changed: a rebuild rewrote its
 * events' visits, which a backfill reading the history meanwhile may have missed.
 */
export async function recountGoalConversions(siteId: Types.ObjectId): Promise<void> {
  const known = (await Goal.exists({ siteId })) ?? (await GoalBackfill.exists({ _id: String(siteId) }));
  if (known) await goalsChanged(siteId);
}

/** Sites with a goal backfill due, for the scheduled job (a query across sites: one small document per site). */
export async function sitesWithPendingGoalRollups(): Promise<Types.ObjectId[]> {
  const due = await GoalBackfill.find({ pending: true }, { siteId: 1 }).lean();
  return due.map((d) => d.siteId);
}

/** A site's goal set at one revision, claimed for a backfill. */
export interface GoalBackfillClaim {
  revision: number;
  goals: GoalDoc[];
}

/**
 * Claims a site's due backfill for `ms` (again, to extend it), or null when none is due or
 * another process holds it. The revision is read before the goals (see goalsChanged). On
 * FerretDB two racing claims may both win: both backfills are exact, one is wasted.
 */
export async function claimGoalBackfill(
  siteId: Types.ObjectId,
  ms: number,
  renew = false,
): Promise<GoalBackfillClaim | null> {
  const now = new Date();
  const claim = await GoalBackfill.findOneAndUpdate(
    renew
      ? { _id: String(siteId), pending: true }
      : { _id: String(siteId), pending: true, claimedUntil: trusted({ $lt: now }) },
    { $set: { claimedUntil: new Date(now.getTime() + ms) } },
    { returnDocument: 'after' },
  ).lean();
  if (!claim) return null;
  return { revision: claim.revision, goals: await listGoals(siteId) };
}

/**
 * Marks the goals of a claim built, each only if it is still at the revision the backfill
 * read (a goal changed meanwhile stays pending), then the site's backfill done if no change
 * came in since, and releases the claim. FerretDB lets a conditional update race a
 * concurrent one through (see aggregate/lease.ts), so each mark is read back and undone
 * when a change got in: a goal may be recounted once more, never marked current when stale.
 */
export async function goalBackfillDone(siteId: Types.ObjectId, claim: GoalBackfillClaim): Promise<void> {
  for (const goal of claim.goals) {
    await Goal.updateOne(
      { _id: goal._id, siteId, revision: goal.revision },
      { $set: { rollupsPending: false, rollupsMatch: goalDefinition(goal) } },
    );
  }
  await GoalBackfill.updateOne({ _id: String(siteId), revision: claim.revision }, { $set: { pending: false } });
  const moved = await Goal.find(
    { siteId, _id: trusted({ $in: claim.goals.map((g) => g._id) }) },
    { revision: 1 },
  ).lean();
  const read = new Map(claim.goals.map((g) => [g._id.toHexString(), g.revision]));
  const stale = moved.filter((g) => g.revision !== read.get(g._id.toHexString())).map((g) => g._id);
  if (stale.length > 0)
    await Goal.updateMany({ siteId, _id: trusted({ $in: stale }) }, { $set: { rollupsPending: true } });
  const site = await GoalBackfill.findOne({ _id: String(siteId) }, { revision: 1 }).lean();
  if (site && site.revision !== claim.revision) {
    await GoalBackfill.updateOne({ _id: String(siteId) }, { $set: { pending: true } });
  }
  await releaseGoalBackfill(siteId);
}

/** Lets another process take the site's backfill at once (after a failure, or when done). */
export async function releaseGoalBackfill(siteId: Types.ObjectId): Promise<void> {
  await GoalBackfill.updateOne({ _id: String(siteId) }, { $set: { claimedUntil: new Date(0) } });
}

/** A goal as the audit log names it: its id and definition. */
const goalRef = (goal: Pick<GoalDoc, '_id' | 'name' | 'kind' | 'match' | 'propKey' | 'propValue'>) => ({
  id: goal._id.toHexString(),
  name: goal.name,
  kind: goal.kind,
  match: goal.match,
  ...(goal.propKey ? { propKey: goal.propKey, propValue: goal.propValue } : {}),
});

export async function createGoal(
  siteId: Types.ObjectId,
  input: { name: string; kind: 'page' | 'event'; match: string; propKey: string; propValue: string },
  actor: Actor,
): Promise<GoalDoc> {
  if ((await Goal.countDocuments({ siteId })) >= 100)
    throw new AppError('conflict', 'A site may have at most 100 goals');
  const goal = (await Goal.create({ siteId, ...input })).toObject() as GoalDoc;
  await goalsChanged(siteId);
  await recordAudit(siteId, actor, 'goal.created', { goal: goalRef(goal) });
  return goal;
}

export async function updateGoal(
  siteId: Types.ObjectId,
  goalId: string,
  changes: {
    name?: string | undefined;
    match?: string | undefined;
    propKey?: string | undefined;
    propValue?: string | undefined;
  },
  actor: Actor,
): Promise<GoalDoc> {
  const $set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  const before = await Goal.findOneAndUpdate(
    { _id: goalId, siteId },
    { $set },
    { returnDocument: 'before' },
  ).lean<GoalDoc>();
  if (!before) throw new AppError('not_found', 'Goal not found');
  const after = { ...before, ...$set } as GoalDoc;
  const changed = Object.keys($set).filter((field) => before[field as keyof GoalDoc] !== after[field as keyof GoalDoc]);
  if (changed.length > 0) {
    await recordAudit(siteId, actor, 'goal.updated', {
      goal: goalRef(after),
      changes: changed.map((field) => ({
        field,
        from: String(before[field as keyof GoalDoc] ?? ''),
        to: String(after[field as keyof GoalDoc] ?? ''),
      })),
    });
  }
  // A new name counts the same visits; a new pattern or property needs its conversions recounted.
  if (goalDefinition(after) === goalDefinition(before)) return after;
  await goalsChanged(siteId);
  return { ...after, revision: before.revision + 1, rollupsPending: true };
}

export async function deleteGoal(siteId: Types.ObjectId, goalId: string, actor: Actor): Promise<void> {
  const goal = await Goal.findOne({ _id: goalId, siteId }).lean<GoalDoc>();
  const { deletedCount } = goal ? await Goal.deleteOne({ _id: goal._id, siteId }) : { deletedCount: 0 };
  if (!goal || !deletedCount) throw new AppError('not_found', 'Goal not found');
  const funnels = await Funnel.deleteMany({ siteId, steps: goalId });
  // "Any goal" loses this goal's conversions, and its rows are dropped.
  await goalsChanged(siteId);
  await recordAudit(siteId, actor, 'goal.deleted', { goal: goalRef(goal), funnelsDeleted: funnels.deletedCount });
}

export async function listFunnels(siteId: Types.ObjectId): Promise<FunnelDoc[]> {
  return Funnel.find({ siteId }).sort({ createdAt: 1 }).lean<FunnelDoc[]>();
}

export async function getFunnel(siteId: Types.ObjectId, funnelId: string): Promise<FunnelDoc> {
  const funnel = await Funnel.findOne({ _id: funnelId, siteId }).lean<FunnelDoc>();
  if (!funnel) throw new AppError('not_found', 'Funnel not found');
  return funnel;
}

const funnelRef = (funnel: FunnelDoc) => ({
  id: funnel._id.toHexString(),
  name: funnel.name,
  steps: funnel.steps.map((step) => step.toHexString()),
});

export async function createFunnel(
  siteId: Types.ObjectId,
  name: string,
  steps: string[],
  actor: Actor,
): Promise<FunnelDoc> {
  const known = await Goal.countDocuments({ siteId, _id: trusted({ $in: steps }) });
  if (known !== new Set(steps).size)
    throw new AppError('validation_failed', 'Every funnel step must be a goal of this site');
  const funnel = (await Funnel.create({ siteId, name, steps })).toObject() as FunnelDoc;
  await recordAudit(siteId, actor, 'funnel.created', { funnel: funnelRef(funnel) });
  return funnel;
}

export async function deleteFunnel(siteId: Types.ObjectId, funnelId: string, actor: Actor): Promise<void> {
  const funnel = await Funnel.findOne({ _id: funnelId, siteId }).lean<FunnelDoc>();
  const { deletedCount } = funnel ? await Funnel.deleteOne({ _id: funnel._id, siteId }) : { deletedCount: 0 };
  if (!funnel || !deletedCount) throw new AppError('not_found', 'Funnel not found');
  await recordAudit(siteId, actor, 'funnel.deleted', { funnel: funnelRef(funnel) });
}

/** Removes a site's goals and funnels (site deletion). */
export async function deleteGoalsForSite(siteId: Types.ObjectId): Promise<void> {
  await Funnel.deleteMany({ siteId });
  await Goal.deleteMany({ siteId });
  await GoalBackfill.deleteOne({ _id: String(siteId) });
}
