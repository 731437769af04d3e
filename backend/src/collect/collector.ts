import type { IncomingMessage, ServerResponse } from 'node:http';

import { DateTime } from 'luxon';
import type { Logger } from 'pino';

import { getSiteByPublicId, type SiteDoc } from '../sites/service';
import type { SiteSettings } from '../sites/schemas';
import { settingsOf } from '../sites/settings';
import { EventBatch, TrackerEvent } from './event-schema';
import type { z } from '../lib/zod';
import { localHourKey } from '../lib/local-hour';
import { isDatabaseUnavailable } from '../lib/db-errors';
import { acquisition, isBotRequest, locate, normaliseLanguage, pagePath, parseUserAgent, screenClass } from './enrich';
import { clientAddress, dailySalt, identifyClient } from './identity';
import type { StoredEvent } from './model';
import { RELAY_HEADERS, relayedVisitor } from './relay';
import { EventWriter, WriterOverloaded } from './writer';

export const COLLECT_PATH = '/api/event';
const MAX_BODY_BYTES = 64 * 1024;
const SITE_CACHE_MS = 60_000;
/**
 * A relay signature that fails against a cached site is checked again against the stored site
 * once the cache entry is this old: a secret issued a moment ago is not ignored for a minute, and
 * forged signatures cost at most one extra site lookup per second.
 */
const RELAY_RECHECK_MS = 1_000;

type ParsedEvent = z.output<typeof TrackerEvent>;

export interface CollectorOptions {
  logger: Logger;
  trustProxyHops: number;
  /** Each site's event budget in this process (config `COLLECT_SITE_EVENTS_PER_MINUTE`). */
  siteEventsPerMinute: number;
  /** Injectable clock: tests move days forward to check that cookieless ids rotate. */
  now?: () => Date;
  writer?: EventWriter;
}

class CollectError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * Per site, a token bucket of events: a minute's worth of burst, refilled at the
 * per-minute rate. A site sending faster is answered 429 with Retry-After, so
 * its flood is refused at its own senders (the tracker sends with sendBeacon and
 * does not retry; API clients can) instead of queueing in the inbox in front of
 * every other site's events.
 */
export class SiteBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perMinute: number) {}

  /** Takes `events` tokens; returns 0 when granted, else the seconds until they would be. */
  take(siteId: string, events: number, nowMs: number): number {
    const perMs = this.perMinute / 60_000;
    const bucket = this.buckets.get(siteId) ?? { tokens: this.perMinute, at: nowMs };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (nowMs - bucket.at) * perMs);
    bucket.at = nowMs;
    if (this.buckets.size >= 10_000 && !this.buckets.has(siteId)) this.buckets.clear();
    this.buckets.set(siteId, bucket);
    if (bucket.tokens >= events) {
      bucket.tokens -= events;
      return 0;
    }
    return Math.max(1, Math.ceil((events - bucket.tokens) / perMs / 1000));
  }
}

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  'Access-Control-Max-Age': '86400',
  'Cache-Control': 'no-store',
};

function reply(res: ServerResponse, status: number, body?: unknown): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...CORS_HEADERS,
    ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
  });
  res.end(payload);
}

/**
 * Bytes of a refused body read and thrown away so the client, still sending, gets the 413
 * instead of a reset connection; past this the connection is dropped.
 */
const MAX_DISCARD_BYTES = 16 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const refuse = () => {
      refused = true;
      chunks.length = 0;
      reject(new CollectError(413, 'payload_too_large', `Body larger than ${MAX_BODY_BYTES} bytes`));
    };
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) refuse();
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (refused) {
        if (size > MAX_DISCARD_BYTES) req.destroy();
        return;
      }
      if (size > MAX_BODY_BYTES) return refuse();
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The event loop counts as overloaded when this 50 ms timer has not run for SHED_AFTER_MS:
 * requests then get 503 with Retry-After before their body is parsed, so a flood of large
 * requests cannot keep health checks and other requests waiting for seconds.
 */
const SHED_AFTER_MS = 500;
let lastTick = performance.now();
setInterval(() => (lastTick = performance.now()), 50).unref();
const overloaded = (): boolean => performance.now() - lastTick > SHED_AFTER_MS;

/**
 * The collector: `POST /api/event`, served before Express because the framework
 * costs ~8x in throughput on this path. Validate, enrich, hand to the writer,
 * answer 202 once the database acknowledged the events. Visits, visitors and
 * rollups are built later by the aggregator, off the request path.
 */
/**
 * Engaged time below this is a residue, not reading: pagehide and the visibilitychange
 * right after it both settle the tracker's clock, so the second reports a few ms.
 */
const MIN_ENGAGED_MS = 1000;

/**
 * What the site collects: identify is for first-party sites only; engagement residues
 * carry nothing; outbound clicks, downloads and engaged time can each be switched off.
 */
function collects(settings: SiteSettings, event: StoredEvent): boolean {
  switch (event.kind) {
    case 'id':
      return settings.identityMode === 'first-party';
    case 'en':
      return settings.trackEngagement && event.engagedMs >= MIN_ENGAGED_MS;
    case 'ev':
      if (event.name === 'outbound') return settings.trackOutbound;
      if (event.name === 'download') return settings.trackDownloads;
      return true;
    default:
      return true;
  }
}

export function createCollector(options: CollectorOptions) {
  const now = options.now ?? (() => new Date());
  const writer = options.writer ?? new EventWriter();
  const siteCache = new Map<string, { site: SiteDoc | null; until: number }>();
  const siteLoaded = (publicId: string): number => (siteCache.get(publicId)?.until ?? 0) - SITE_CACHE_MS;
  const budget = new SiteBudget(options.siteEventsPerMinute);

  async function findSite(publicId: string, fresh = false): Promise<SiteDoc | null> {
    const cached = siteCache.get(publicId);
    const time = Date.now();
    if (cached && cached.until > time && !fresh) return cached.site;
    const stored = await getSiteByPublicId(publicId);
    // The settings with their defaults (a site stored before a setting existed), once per cache period.
    const site = stored && { ...stored, settings: settingsOf(stored.settings) };
    if (siteCache.size > 10_000) siteCache.clear();
    siteCache.set(publicId, { site, until: time + SITE_CACHE_MS });
    return site;
  }

  async function collect(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'text/plain' && contentType !== 'application/json') {
      throw new CollectError(415, 'unsupported_media_type', 'Send the events as text/plain or application/json');
    }
    const raw = await readBody(req);
    // Parsing is the collector's main cost: when the event loop is already behind, refuse cheaply.
    if (overloaded()) throw new WriterOverloaded();
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new CollectError(400, 'bad_request', 'Body is not valid JSON');
    }
    // Validated against the matching shape, so errors name the field rather than the union.
    const parsed = Array.isArray(json) ? EventBatch.safeParse(json) : TrackerEvent.safeParse(json);
    if (!parsed.success) {
      throw new CollectError(
        400,
        'validation_failed',
        'Invalid event',
        parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      );
    }
    const events: ParsedEvent[] = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
    const publicId = events[0]!.s;
    if (events.some((e) => e.s !== publicId)) {
      throw new CollectError(400, 'validation_failed', 'All events of a batch must belong to one site');
    }
    let site = await findSite(publicId);
    if (!site) throw new CollectError(404, 'unknown_site', 'No site has this id; check data-site on the script tag');
    const relaySigned = req.headers[RELAY_HEADERS.signature] !== undefined;
    let relayed = relaySigned ? relayedVisitor(req.headers, publicId, site.relaySecret, raw, Date.now()) : null;
    if (relaySigned && !relayed && Date.now() - siteLoaded(publicId) > RELAY_RECHECK_MS) {
      site = (await findSite(publicId, true)) ?? site;
      relayed = relayedVisitor(req.headers, publicId, site.relaySecret, raw, Date.now());
    }
    // Told to the relay, which counts hits its backend did not trust (a rotated or mistyped secret).
    const relay = relaySigned ? { relay: relayed ? 'verified' : 'ignored' } : {};
    const settings = site.settings as SiteSettings;
    const wait = budget.take(site._id.toHexString(), events.length, Date.now());
    if (wait > 0) {
      throw new CollectError(
        429,
        'rate_limited',
        'This site sends more events than it may; retry later',
        undefined,
        wait,
      );
    }

    // A verified relay names the visitor; otherwise the connection is the visitor (behind trusted proxies).
    const userAgent = relayed ? relayed.userAgent : String(req.headers['user-agent'] ?? '').slice(0, 1000);
    if (isBotRequest(userAgent, req.headers)) {
      return { status: 202, body: { accepted: 0, dropped: events.length, ...relay } };
    }
    if (settings.honorDoNotTrack && (req.headers['dnt'] === '1' || req.headers['sec-gpc'] === '1')) {
      return { status: 202, body: { accepted: 0, dropped: events.length, ...relay } };
    }

    const time = now();
    const salt = await dailySalt(time);
    const rawIp = relayed
      ? relayed.ip
      : clientAddress(
          req.socket.remoteAddress,
          req.headers['x-forwarded-for'] as string | undefined,
          options.trustProxyHops,
        );
    const siteId = site._id.toHexString();
    const client = identifyClient(rawIp, userAgent, siteId, salt, settings.excludedIps);
    if (client.excluded) return { status: 202, body: { accepted: 0, dropped: events.length, ...relay } };

    const software = parseUserAgent(userAgent);
    const place = locate(client.anonymisedIp);
    const local = DateTime.fromJSDate(time, { zone: site.timezone });
    const day = local.toISODate() ?? time.toISOString().slice(0, 10);
    const hour = localHourKey(local, site.timezone);
    const firstParty = settings.identityMode === 'first-party';

    const docs = events.map((event, index): StoredEvent => {
      const page = new URL(event.u);
      // Events of one batch keep their order: each is a millisecond apart at most.
      const ts = new Date(time.getTime() + index);
      return {
        _id: `${siteId}:${event.i}`,
        siteId: site._id,
        ts,
        day,
        hour,
        kind: event.k,
        vid: firstParty && event.v ? `f:${event.v}` : `c:${client.cookielessId}`,
        host: page.hostname,
        path: pagePath(page),
        title: event.t ?? '',
        ...acquisition(page, event.r ?? '', site.domain),
        ...software,
        screen: screenClass(event.w),
        language: normaliseLanguage(event.l),
        ...place,
        name: event.n ?? '',
        ...(event.p ? { props: event.p } : {}),
        engagedMs: event.e ?? 0,
        notFound: event.nf === 1,
        userId: firstParty ? (event.uid ?? '') : '',
        ...(firstParty && event.tr ? { traits: event.tr } : {}),
        visitId: '',
      };
    });
    const kept = docs.filter((d) => collects(settings, d));
    await writer.write(kept);
    return { status: 202, body: { accepted: kept.length, ...relay } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'OPTIONS') return reply(res, 204);
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      return reply(res, 405, { error: { code: 'method_not_allowed', message: 'Use POST' } });
    }
    try {
      const { status, body } = await collect(req);
      reply(res, status, body);
    } catch (error) {
      if (error instanceof CollectError) {
        if (error.retryAfterSeconds) res.setHeader('Retry-After', String(error.retryAfterSeconds));
        return reply(res, error.status, {
          error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
        });
      }
      if (error instanceof WriterOverloaded) {
        res.setHeader('Retry-After', '2');
        return reply(res, 503, {
          error: { code: 'service_unavailable', message: 'Too many events queued; retry shortly' },
        });
      }
      if (isDatabaseUnavailable(error)) {
        options.logger.warn(
          { err: { name: (error as Error).name, message: (error as Error).message } },
          'collector: database unavailable',
        );
        res.setHeader('Retry-After', '5');
        return reply(res, 503, {
          error: { code: 'service_unavailable', message: 'Events cannot be stored right now; retry' },
        });
      }
      options.logger.error({ err: error }, 'collector failed');
      reply(res, 500, { error: { code: 'internal_error', message: 'Internal server error' } });
    }
  }

  return { handle, writer };
}
