import type { Types } from 'mongoose';
import type { Logger } from 'pino';

import type { GoalConversion } from '../aggregate/conversions';
import { AppError } from '../lib/errors';
import { hit, type Limit } from '../lib/rate-limit';
import { listGoals } from '../reports/goals';
import { getSite } from '../sites/service';
import { eventPayload, listWebhooks, logDropped, queueDelivery } from './service';

/**
 * `goal.conversion` events: after the aggregator committed a batch, the goal conversions it
 * made are queued for the site's webhooks that subscribed (the delivery job sends them, with
 * retries). Fire and forget: the aggregator hands them over and goes on; a failure here is
 * logged, never thrown into it.
 */

/** Conversions sent per webhook and minute; the rest of the minute's are dropped and counted in its log. */
export const CONVERSIONS_PER_MINUTE: Limit = { name: 'webhook-goal-conversions', max: 60, windowMs: 60_000 };
/** Batches waiting to be announced in this process; more are dropped (logged) so a slow database cannot pile them up in memory. */
const MAX_WAITING = 100;

let logger: Pick<Logger, 'warn'> | undefined;
let chain: Promise<void> = Promise.resolve();
let waiting = 0;

/** Where failures to announce are logged (the aggregator's loop gives the process logger). */
export function setConversionLogger(log: Pick<Logger, 'warn'>): void {
  logger = log;
}

/** The payload's `data`: the goal, what converted and when; nothing about the visitor. */
const conversionData = (conversion: GoalConversion, name: string) => ({
  goal: { id: conversion.goalId, name },
  kind: conversion.kind,
  page: conversion.page,
  event: conversion.event,
  at: conversion.at.toISOString(),
});

/** Queues one site's conversions for its subscribed webhooks, each within its per-minute budget. */
async function announceForSite(siteId: Types.ObjectId, conversions: GoalConversion[], now: Date): Promise<void> {
  const hooks = (await listWebhooks(siteId)).filter((hook) => hook.events.includes('goal.conversion'));
  if (hooks.length === 0) return;
  const site = await getSite(siteId);
  if (!site) return;
  const names = new Map((await listGoals(siteId)).map((goal) => [goal._id.toHexString(), goal.name]));
  const dropped = new Map<string, number>();
  for (const conversion of conversions) {
    const name = names.get(conversion.goalId);
    // Deleted since the batch read the goals.
    if (name === undefined) continue;
    const payload = eventPayload(site, 'goal.conversion', conversionData(conversion, name), now);
    for (const hook of hooks) {
      const id = hook._id.toHexString();
      try {
        await hit(CONVERSIONS_PER_MINUTE, id);
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'rate_limited') throw error;
        dropped.set(id, (dropped.get(id) ?? 0) + 1);
        continue;
      }
      await queueDelivery(hook, 'goal.conversion', payload, now);
    }
  }
  for (const hook of hooks) {
    const count = dropped.get(hook._id.toHexString());
    if (!count) continue;
    await logDropped(
      hook,
      'goal.conversion',
      `${count} goal conversion${count === 1 ? '' : 's'} not sent: at most ${CONVERSIONS_PER_MINUTE.max} a minute per webhook`,
      now,
    );
  }
}

async function announce(conversions: readonly GoalConversion[]): Promise<void> {
  const bySite = new Map<string, GoalConversion[]>();
  for (const conversion of conversions) {
    const list = bySite.get(String(conversion.siteId)) ?? [];
    list.push(conversion);
    bySite.set(String(conversion.siteId), list);
  }
  for (const list of bySite.values()) {
    try {
      await announceForSite(list[0]!.siteId, list, new Date());
    } catch (error) {
      logger?.warn(
        { err: error, siteId: String(list[0]!.siteId), conversions: list.length },
        'goal conversions not queued for webhooks',
      );
    }
  }
}

/**
 * Hands a committed batch's conversions to the webhooks: returns at once, and never throws.
 * Batches are announced one after another, in the order they were committed.
 */
export function announceGoalConversions(conversions: readonly GoalConversion[]): void {
  if (conversions.length === 0) return;
  if (waiting >= MAX_WAITING) {
    logger?.warn({ conversions: conversions.length }, 'goal conversions not queued for webhooks: too many waiting');
    return;
  }
  waiting += 1;
  chain = chain
    .then(() => announce(conversions))
    .catch((error: unknown) => logger?.warn({ err: error }, 'goal conversions not queued for webhooks'))
    .finally(() => {
      waiting -= 1;
    });
}

/** Resolves once every conversion handed over so far is queued (tests, shutdown). */
export async function goalConversionsIdle(): Promise<void> {
  await chain;
}
