import { randomBytes } from 'node:crypto';
import http, { type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

import type mongoose from 'mongoose';

import { processPendingEvents } from '../../src/aggregate/aggregator';
import request from 'supertest';

import type { TrackerEvent } from '../../src/collect/event-schema';
import { nextIp } from './app';
import { historyEvents } from './history';

/** A current desktop Chrome: the bot filter lets it through. */
export const DESKTOP_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

export const SITE_DOMAIN = 'blog.example.com';

/** A unique client event id in the tracker's alphabet. */
export const eventId = (): string => `e${randomBytes(9).toString('base64url')}`;

/** A valid pageview for `publicId`; `overrides` replace or add fields (undefined removes one). */
export function pageview(publicId: string, overrides: Partial<Record<keyof TrackerEvent, unknown>> = {}) {
  const base: Record<string, unknown> = {
    s: publicId,
    i: eventId(),
    k: 'pv',
    u: `https://${SITE_DOMAIN}/posts/hello`,
    r: '',
    t: 'Hello',
    w: 1280,
    l: 'en-US',
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  return base;
}

export interface PostOptions {
  ip?: string;
  userAgent?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** POSTs a body (object, array or raw string) to the collector the way the tracker does (text/plain). */
export function postEvent(handler: RequestListener, body: unknown, options: PostOptions = {}) {
  let req = request(handler)
    .post('/api/event')
    .set('Content-Type', options.contentType ?? 'text/plain')
    .set('User-Agent', options.userAgent ?? DESKTOP_UA)
    .set('X-Forwarded-For', options.ip ?? nextIp());
  for (const [name, value] of Object.entries(options.headers ?? {})) req = req.set(name, value);
  return req.send(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Stored events of the test database, oldest first, after the aggregator took in what was accepted. */
export async function storedEvents(db: mongoose.mongo.Db, filter: Record<string, unknown> = {}) {
  await processPendingEvents();
  return historyEvents(db, filter);
}

export async function countEvents(db: mongoose.mongo.Db): Promise<number> {
  await processPendingEvents();
  return (await historyEvents(db)).length;
}

/** Polls `probe` every 50 ms until it returns a value other than undefined; rejects after `timeoutMs`. */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  describe = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Serves `handler` on 127.0.0.1 at a random port, as server.ts does. */
export async function listen(handler: RequestListener): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs `tasks` with at most `limit` in flight; resolves with their results in order. */
export async function pool<T>(count: number, limit: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}
