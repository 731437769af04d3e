import { Schema, model, trusted, type InferSchemaType, type Types } from 'mongoose';

import type { RawEvent } from '../aggregate/model';
import { AppError } from '../lib/errors';
import { globMatcher } from './glob';

/**
 * A goal is a pageview of a path pattern (`*` matches any run of characters) or
 * a custom event by name, optionally with one property value.
 */
const goalSchema = new Schema(
  {
    siteId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true },
    kind: { type: String, enum: ['page', 'event'], required: true },
    /** Path pattern for page goals, event name for event goals. */
    match: { type: String, required: true },
    propKey: { type: String, default: '' },
    propValue: { type: String, default: '' },
  },
  { timestamps: true, strict: 'throw' },
);
export type GoalDoc = InferSchemaType<typeof goalSchema> & { _id: Types.ObjectId };
export const Goal = model('Goal', goalSchema, 'goals');

const funnelSchema = new Schema(
  {
    siteId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true },
    /** Goal ids, in order: 2 to 8 steps. */
    steps: { type: [Schema.Types.ObjectId], required: true },
  },
  { timestamps: true, strict: 'throw' },
);
export type FunnelDoc = InferSchemaType<typeof funnelSchema> & { _id: Types.ObjectId };
export const Funnel = model('Funnel', funnelSchema, 'funnels');

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

export async function createGoal(
  siteId: Types.ObjectId,
  input: { name: string; kind: 'page' | 'event'; match: string; propKey: string; propValue: string },
): Promise<GoalDoc> {
  if ((await Goal.countDocuments({ siteId })) >= 100)
    throw new AppError('conflict', 'A site may have at most 100 goals');
  return (await Goal.create({ siteId, ...input })).toObject() as GoalDoc;
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
): Promise<GoalDoc> {
  const $set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  const goal = await Goal.findOneAndUpdate(
    { _id: goalId, siteId },
    { $set },
    { returnDocument: 'after' },
  ).lean<GoalDoc>();
  if (!goal) throw new AppError('not_found', 'Goal not found');
  return goal;
}

export async function deleteGoal(siteId: Types.ObjectId, goalId: string): Promise<void> {
  const { deletedCount } = await Goal.deleteOne({ _id: goalId, siteId });
  if (!deletedCount) throw new AppError('not_found', 'Goal not found');
  await Funnel.deleteMany({ siteId, steps: goalId });
}

export async function listFunnels(siteId: Types.ObjectId): Promise<FunnelDoc[]> {
  return Funnel.find({ siteId }).sort({ createdAt: 1 }).lean<FunnelDoc[]>();
}

export async function getFunnel(siteId: Types.ObjectId, funnelId: string): Promise<FunnelDoc> {
  const funnel = await Funnel.findOne({ _id: funnelId, siteId }).lean<FunnelDoc>();
  if (!funnel) throw new AppError('not_found', 'Funnel not found');
  return funnel;
}

export async function createFunnel(siteId: Types.ObjectId, name: string, steps: string[]): Promise<FunnelDoc> {
  const known = await Goal.countDocuments({ siteId, _id: trusted({ $in: steps }) });
  if (known !== new Set(steps).size)
    throw new AppError('validation_failed', 'Every funnel step must be a goal of this site');
  return (await Funnel.create({ siteId, name, steps })).toObject() as FunnelDoc;
}

export async function deleteFunnel(siteId: Types.ObjectId, funnelId: string): Promise<void> {
  const { deletedCount } = await Funnel.deleteOne({ _id: funnelId, siteId });
  if (!deletedCount) throw new AppError('not_found', 'Funnel not found');
}

/** Removes a site's goals and funnels (site deletion). */
export async function deleteGoalsForSite(siteId: Types.ObjectId): Promise<void> {
  await Funnel.deleteMany({ siteId });
  await Goal.deleteMany({ siteId });
}
