import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

import ipaddr from 'ipaddr.js';

/**
 * Where a webhook may send, and the one way it sends: the SSRF guard (docs/security.md).
 * A target is an http(s) URL whose host resolves only to public unicast addresses (unless
 * the operator set WEBHOOKS_ALLOW_PRIVATE); the request then connects to the address that
 * was checked, not to whatever a second DNS answer says, follows no redirect, and reads a
 * bounded answer within a deadline.
 */

export const MAX_URL_LENGTH = 2048;
/** Bytes of a receiver's answer read before the connection is closed. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** Characters of the answer kept in the delivery log. */
export const RESPONSE_EXCERPT = 256;
const DNS_TIMEOUT_MS = 5_000;

/** A target that may not be used, and why, in words an admin can act on. */
export class TargetRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TargetRefused';
  }
}

/** Ranges refused even when private targets are allowed: nothing answers a POST there. */
const NEVER = new Set(['unspecified', 'broadcast', 'multicast']);

const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private network address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  uniqueLocal: 'an IPv6 unique local address (fc00::/7)',
  multicast: 'a multicast address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
};

/**
 * Why `address` may not be a webhook's destination, or null when it may. IPv4-mapped and
 * IPv4-compatible IPv6 forms are judged as the IPv4 address they carry; other forms that
 * embed one (NAT64, 6to4, Teredo) and every special-purpose range are refused unless
 * `allowPrivate`: only global unicast passes.
 */
export function refusedAddress(address: string, allowPrivate: boolean): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const ip = ipaddr.process(address);
  const range = ip.range();
  if (range === 'unicast') return null;
  if (allowPrivate && !NEVER.has(range)) return null;
  const what = RANGE_WORDS[range] ?? `a special-purpose address (${range})`;
  const hint = NEVER.has(range)
    ? ''
    : '; webhooks go to public addresses unless the operator sets WEBHOOKS_ALLOW_PRIVATE=true';
  return `${ip.toString()} is ${what}${hint}`;
}

/** Why the URL cannot be a webhook target whatever it resolves to, or null when its form is fine. */
export function malformedTarget(value: string): string | null {
  if (value.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL such as https://example.com/hooks/clickpath';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must start with https:// or http://';
  if (url.username || url.password) return 'must not carry a user name or password; use the signature to trust us';
  if (!url.hostname) return 'must name a host';
  return null;
}

/** The URL's host as DNS or an address literal names it (`[::1]` → `::1`). */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
}

/** A DNS resolver: every address of a host name (the system's, unless a test brings its own). */
export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/**
 * Resolves the URL's host and checks every address it has: one refused address refuses the
 * target, so a name cannot pair a public address with an internal one. Returns the address
 * to connect to.
 */
export async function resolveTarget(
  url: URL,
  allowPrivate: boolean,
  resolve: Resolver = systemResolver,
): Promise<ResolvedTarget> {
  const host = hostOf(url);
  if (ipaddr.isValid(host)) {
    const refused = refusedAddress(host, allowPrivate);
    if (refused) throw new TargetRefused(refused);
    return { address: host, family: ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4 };
  }
  let addresses: Array<{ address: string; family: number }>;
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('ETIMEOUT')), DNS_TIMEOUT_MS);
    });
    addresses = await Promise.race([resolve(host), timeout]).finally(() => clearTimeout(timer));
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    throw new TargetRefused(`${host} could not be resolved (${code})`);
  }
  if (addresses.length === 0) throw new TargetRefused(`${host} has no address`);
  for (const { address } of addresses) {
    const refused = refusedAddress(address, allowPrivate);
    if (refused) throw new TargetRefused(`${host} resolves to ${refused}`);
  }
  const [first] = addresses as [{ address: string; family: number }];
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** A DNS lookup that answers only the address already checked (no second, different answer). */
function pinnedLookup({ address, family }: ResolvedTarget): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as LookupFunction;
}

export interface PostResult {
  /** The receiver's status; null when no answer came. */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** The start of the answer, control characters removed. */
  response: string;
}

export interface PostOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  /** Tests stand in for DNS; everyone else resolves through the system. */
  resolve?: Resolver;
}

// Control characters of a receiver's answer never reach the log or the dashboard.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * POSTs `body` to the target, connecting to the address resolveTarget checked. A redirect is
 * an answer like any other (not followed); the whole exchange has `timeoutMs`, and at most
 * MAX_RESPONSE_BYTES of the answer are read.
 */
export async function postToTarget(
  target: string,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<PostResult> {
  const started = Date.now();
  const result = (statusCode: number | null, error: string | null, response = ''): PostResult => ({
    statusCode,
    error,
    durationMs: Date.now() - started,
    response: response.replace(CONTROL, '').slice(0, RESPONSE_EXCERPT),
  });
  const malformed = malformedTarget(target);
  if (malformed) return result(null, `The URL ${malformed}`);
  const url = new URL(target);
  let resolved: ResolvedTarget;
  try {
    resolved = await resolveTarget(url, options.allowPrivate, options.resolve);
  } catch (error) {
    if (error instanceof TargetRefused) return result(null, `Refused: ${error.message}`);
    throw error;
  }
  const remaining = Math.max(1, options.timeoutMs - (Date.now() - started));
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (value: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(value);
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request({
      protocol: url.protocol,
      hostname: hostOf(url),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      // A fresh connection each time, to the checked address; no pooled socket reaches elsewhere.
      agent: false,
      lookup: pinnedLookup(resolved),
    });
    const deadline = setTimeout(() => {
      finish(result(null, `No answer within ${options.timeoutMs} ms`));
      req.destroy();
    }, remaining);
    req.on('error', (error: NodeJS.ErrnoException) => {
      finish(result(null, error.code ? `${error.code}: ${error.message}` : error.message));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let read = 0;
      const done = () => finish(result(res.statusCode ?? null, null, Buffer.concat(chunks).toString('utf8')));
      res.on('data', (chunk: Buffer) => {
        if (read < MAX_RESPONSE_BYTES) chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - read));
        read += chunk.length;
        // The status is all that counts: a receiver that keeps talking is cut off.
        if (read >= MAX_RESPONSE_BYTES) {
          done();
          res.destroy();
        }
      });
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    req.end(body);
  });
}
