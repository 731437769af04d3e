import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every delivery carries: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export const SIGNATURE_HEADER = 'Clickpath-Signature';

/** How far a receiver should accept a signature's timestamp from its own clock (docs/webhooks.md). */
export const SIGNATURE_TOLERANCE_S = 300;

const hmac = (secret: string, timestamp: number, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/**
 * Signs a body the way Stripe and GitHub do: the secret (the whole `whsec_…` string) keys an
 * HMAC-SHA256 over the timestamp, a dot and the exact bytes sent. The timestamp lets the
 * receiver refuse a replayed request; every attempt is signed anew.
 */
export function signatureHeader(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

/**
 * What a receiver does with the header (kept here as the reference the docs describe): true
 * when a `v1` signature matches the body and the timestamp is within `toleranceS` of `now`.
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  now = new Date(),
  toleranceS = SIGNATURE_TOLERANCE_S,
): boolean {
  const parts = header.split(',').map((part) => part.trim().split('='));
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(now.getTime() / 1000 - t) > toleranceS) return false;
  const expected = Buffer.from(hmac(secret, t, body), 'hex');
  return parts
    .filter(([key, value]) => key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value))
    .some(([, value]) => timingSafeEqual(Buffer.from(value!, 'hex'), expected));
}
