import { createHash, randomBytes } from 'node:crypto';

import ipaddr from 'ipaddr.js';
import { trusted } from 'mongoose';

import { isDuplicateKey } from '../lib/db-errors';
import { Salt } from './model';

const SALT_LIFETIME_MS = 48 * 3_600_000;

const saltCache = new Map<string, Promise<string>>();

/** Today's salt (UTC day), shared by every replica through the database. */
export function dailySalt(now: Date): Promise<string> {
  const day = now.toISOString().slice(0, 10);
  let salt = saltCache.get(day);
  if (!salt) {
    salt = storedSalt(day, now);
    salt.catch(() => saltCache.delete(day));
    // Keep only today's and yesterday's salts in memory.
    for (const cachedDay of saltCache.keys()) if (cachedDay < day) saltCache.delete(cachedDay);
    saltCache.set(day, salt);
  }
  return salt;
}

/** The day's salt from the database, created when missing; replicas that race to create it all get the first one. */
export async function storedSalt(day: string, now: Date): Promise<string> {
  const stored = await Salt.findById(day).lean();
  if (stored) return stored.value;
  const value = randomBytes(32).toString('base64url');
  try {
    await Salt.create({ _id: day, value, createdAt: now });
    return value;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
  const winner = await Salt.findById(day).lean();
  if (!winner) throw new Error(`salt for ${day} could not be created`);
  return winner.value;
}

/** Deletes salts older than 48 h: after that, a day's visitor ids can never be recomputed or linked. */
export async function pruneSalts(now = new Date()): Promise<number> {
  saltCache.clear();
  const cutoff = new Date(now.getTime() - SALT_LIFETIME_MS);
  return (await Salt.deleteMany({ createdAt: trusted({ $lt: cutoff }) })).deletedCount;
}

export interface ClientIdentity {
  /** The IP with its host part zeroed (IPv4 /24, IPv6 /48): the only form anything else sees. */
  anonymisedIp: string;
  /** hash(daily salt + site + IP + user agent): the cookieless visitor id. */
  cookielessId: string;
  excluded: boolean;
}

function parseIp(raw: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(raw)) return null;
  const parsed = ipaddr.parse(raw);
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address()
    : parsed;
}

function anonymise(ip: ipaddr.IPv4 | ipaddr.IPv6): string {
  const bytes = ip.toByteArray();
  const keep = ip.kind() === 'ipv4' ? 3 : 6;
  const masked = bytes.map((b, i) => (i < keep ? b : 0));
  return ipaddr.fromByteArray(masked).toString();
}

function matchesAny(ip: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly string[]): boolean {
  return ranges.some((range) => {
    try {
      const [network, bits] = range.includes('/')
        ? ipaddr.parseCIDR(range)
        : [ipaddr.parse(range), ip.kind() === 'ipv4' ? 32 : 128];
      return network.kind() === ip.kind() && ip.match(network, bits);
    } catch {
      return false;
    }
  });
}

/**
 * The one place the raw IP is used: it yields the salted visitor hash, the
 * exclusion check and an anonymised IP, and is dropped. Nothing stores or logs it.
 */
export function identifyClient(
  rawIp: string,
  userAgent: string,
  siteId: string,
  salt: string,
  excludedRanges: readonly string[],
): ClientIdentity {
  const ip = parseIp(rawIp);
  const canonical = ip?.toString() ?? 'unknown';
  return {
    anonymisedIp: ip ? anonymise(ip) : '',
    cookielessId: createHash('sha256')
      .update(`${salt}|${siteId}|${canonical}|${userAgent}`)
      .digest('base64url')
      .slice(0, 22),
    excluded: ip !== null && excludedRanges.length > 0 && matchesAny(ip, excludedRanges),
  };
}

/** The client's address: the socket peer, or the configured number of proxy hops back in X-Forwarded-For. */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trustedHops: number,
): string {
  if (trustedHops > 0 && forwardedFor) {
    const chain = forwardedFor
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    const candidate = chain[chain.length - trustedHops] ?? chain[0];
    if (candidate) return candidate;
  }
  return socketAddress ?? '';
}
