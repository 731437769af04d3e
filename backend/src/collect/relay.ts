import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import ipaddr from 'ipaddr.js';

/**
 * A site's first-party relay (the WordPress plugin's relay.php) posts the tracker's body
 * unchanged and vouches for the visitor it came from with these headers. They count only when
 * the signature verifies with that site's relay secret; anything else is ignored, not refused,
 * so a forged header from elsewhere changes nothing. docs/plugin.md has the threat model.
 */
export const RELAY_HEADERS = {
  ip: 'x-clickpath-relay-ip',
  userAgent: 'x-clickpath-relay-ua',
  time: 'x-clickpath-relay-time',
  signature: 'x-clickpath-relay-signature',
} as const;

/** A signature older or newer than this is stale: a captured request cannot be replayed later. */
export const RELAY_MAX_SKEW_SECONDS = 300;

const MAX_IP_LENGTH = 45;
const MAX_USER_AGENT_LENGTH = 1000;

export interface RelayedVisitor {
  ip: string;
  userAgent: string;
}

/** The string the relay signs: version, site, time, IP, user agent and the body's SHA-256, one per line. */
export function relaySigningInput(publicId: string, time: string, ip: string, userAgent: string, body: Buffer): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return `v1\n${publicId}\n${time}\n${ip}\n${userAgent}\n${bodyHash}`;
}

/** HMAC-SHA256 of the signing input, hex: what the relay sends in its signature header. */
export function relaySignature(
  secret: string,
  publicId: string,
  time: string,
  ip: string,
  userAgent: string,
  body: Buffer,
): string {
  return createHmac('sha256', secret)
    .update(relaySigningInput(publicId, time, ip, userAgent, body))
    .digest('hex');
}

const single = (value: string | string[] | undefined): string | null => (typeof value === 'string' ? value : null);

/**
 * The visitor a relay vouches for, or null when the request carries no relay headers, the
 * site has no relay secret, or anything fails to check out: sizes, IP syntax, freshness, signature.
 */
export function relayedVisitor(
  headers: IncomingHttpHeaders,
  publicId: string,
  secret: string | null | undefined,
  body: Buffer,
  nowMs: number,
): RelayedVisitor | null {
  const signature = single(headers[RELAY_HEADERS.signature]);
  if (!signature || !secret) return null;
  const ip = single(headers[RELAY_HEADERS.ip]);
  const userAgent = single(headers[RELAY_HEADERS.userAgent]);
  const time = single(headers[RELAY_HEADERS.time]);
  if (ip === null || userAgent === null || time === null) return null;
  if (ip.length > MAX_IP_LENGTH || userAgent.length > MAX_USER_AGENT_LENGTH || !/^\d{1,12}$/.test(time)) return null;
  if (!/^[0-9a-f]{64}$/.test(signature) || !ipaddr.isValid(ip)) return null;
  if (Math.abs(nowMs / 1000 - Number(time)) > RELAY_MAX_SKEW_SECONDS) return null;
  const expected = Buffer.from(relaySignature(secret, publicId, time, ip, userAgent, body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return null;
  return { ip, userAgent };
}
