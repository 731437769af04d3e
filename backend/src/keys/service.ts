import { createHash, randomBytes } from 'node:crypto';

import type { Types } from 'mongoose';

import { findAccountsByIds } from '../accounts/service';
import { accountActor, type Actor } from '../audit/actor';
import { recordAudit } from '../audit/service';
import { AppError } from '../lib/errors';
import { ApiKey, type ApiKeyDoc, type Scope } from './model';

export type { Scope } from './model';

/** Recognisable by secret scanners; the visible prefix lets people tell keys apart. */
const KEY_PREFIX = 'cpk_';
const VISIBLE_LENGTH = KEY_PREFIX.length + 8;
const KEY_PATTERN = /^cpk_[A-Za-z0-9_-]{43}$/;

const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export interface KeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  /** The person who created the key (null once their account is gone); the key never does more than they may. */
  createdBy: { id: string; name: string; email: string } | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  rotatedFrom: string | null;
}

type Creator = Awaited<ReturnType<typeof findAccountsByIds>>[number];

function toKeyView(key: ApiKeyDoc, creator: Creator | undefined): KeyView {
  return {
    id: key._id.toHexString(),
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    createdBy: creator ? { id: creator._id.toHexString(), name: creator.name, email: creator.email } : null,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    rotatedFrom: key.rotatedFrom?.toHexString() ?? null,
  };
}

/** A key as the API shows it, with the person who created it. */
export async function keyView(key: ApiKeyDoc): Promise<KeyView> {
  const [creator] = await findAccountsByIds([key.createdBy]);
  return toKeyView(key, creator);
}

/** Keys as the API shows them, each with the person who created it. */
export async function toKeyViews(keys: ApiKeyDoc[]): Promise<KeyView[]> {
  const accounts = await findAccountsByIds(keys.map((k) => k.createdBy));
  const creators = new Map(accounts.map((a) => [a._id.toHexString(), a]));
  return keys.map((key) => toKeyView(key, creators.get(key.createdBy.toHexString())));
}

/** What the audit log keeps of a key: never its secret or hash. */
const keyRef = (key: ApiKeyDoc) => ({ id: key._id.toHexString(), name: key.name, prefix: key.prefix });

async function insertKey(input: {
  siteId: Types.ObjectId;
  createdBy: Types.ObjectId;
  name: string;
  scopes: Scope[];
  rotatedFrom?: Types.ObjectId;
}): Promise<{ key: ApiKeyDoc; secret: string }> {
  const secret = KEY_PREFIX + randomBytes(32).toString('base64url');
  const created = await ApiKey.create({
    siteId: input.siteId,
    createdBy: input.createdBy,
    name: input.name,
    scopes: [...new Set(input.scopes)],
    hash: hashSecret(secret),
    prefix: secret.slice(0, VISIBLE_LENGTH),
    rotatedFrom: input.rotatedFrom ?? null,
  });
  return { key: created.toObject() as ApiKeyDoc, secret };
}

/** Creates a key for the person `createdBy` (its secret is returned this once), and audits it. */
export async function createKey(input: {
  siteId: Types.ObjectId;
  createdBy: Types.ObjectId;
  name: string;
  scopes: Scope[];
}): Promise<{ key: ApiKeyDoc; secret: string }> {
  const created = await insertKey(input);
  await recordAudit(input.siteId, accountActor(input.createdBy), 'key.created', {
    key: { ...keyRef(created.key), scopes: created.key.scopes },
  });
  return created;
}

export async function listKeys(siteId: Types.ObjectId): Promise<ApiKeyDoc[]> {
  return ApiKey.find({ siteId }).sort({ createdAt: -1 }).lean<ApiKeyDoc[]>();
}

async function requireKey(siteId: Types.ObjectId, keyId: string): Promise<ApiKeyDoc> {
  const key = await ApiKey.findOne({ _id: keyId, siteId }).lean<ApiKeyDoc>();
  if (!key) throw new AppError('not_found', 'API key not found');
  return key;
}

export async function revokeKey(siteId: Types.ObjectId, keyId: string, actor: Actor): Promise<ApiKeyDoc> {
  const key = await requireKey(siteId, keyId);
  if (key.revokedAt) return key;
  const revoked = await ApiKey.findOneAndUpdate(
    { _id: key._id, revokedAt: null },
    { $set: { revokedAt: new Date() } },
    { returnDocument: 'after' },
  ).lean<ApiKeyDoc>();
  // A request that found the key already revoked changed nothing, and is not audited.
  if (revoked) await recordAudit(siteId, actor, 'key.revoked', { key: keyRef(key) });
  return revoked ?? (await requireKey(siteId, keyId));
}

/** Issues a new key with the same name and scopes; the old one stays valid until revoked. */
export async function rotateKey(
  siteId: Types.ObjectId,
  keyId: string,
  createdBy: Types.ObjectId,
): Promise<{ key: ApiKeyDoc; secret: string }> {
  const old = await requireKey(siteId, keyId);
  if (old.revokedAt) throw new AppError('conflict', 'A revoked key cannot be rotated; create a new key');
  const rotated = await insertKey({ siteId, createdBy, name: old.name, scopes: old.scopes, rotatedFrom: old._id });
  await recordAudit(siteId, accountActor(createdBy), 'key.rotated', {
    key: { ...keyRef(rotated.key), scopes: rotated.key.scopes },
    replaces: keyRef(old),
  });
  return rotated;
}

export interface KeyPrincipal {
  keyId: Types.ObjectId;
  siteId: Types.ObjectId;
  /** The scopes the key was created with; the caller caps them by the creator's current role. */
  scopes: Scope[];
  /** The account that created the key: the key acts with that person's access at most. */
  createdBy: Types.ObjectId;
  name: string;
  prefix: string;
}

const LAST_USED_RESOLUTION_MS = 60_000;

/** Resolves a presented secret to its key; unknown, malformed or revoked keys resolve to null. */
export async function resolveApiKey(secret: string): Promise<KeyPrincipal | null> {
  if (!KEY_PATTERN.test(secret)) return null;
  const key = await ApiKey.findOne({ hash: hashSecret(secret), revokedAt: null }).lean<ApiKeyDoc>();
  if (!key) return null;
  const now = Date.now();
  if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await ApiKey.updateOne({ _id: key._id }, { $set: { lastUsedAt: new Date(now) } });
  }
  return {
    keyId: key._id,
    siteId: key.siteId,
    scopes: key.scopes,
    createdBy: key.createdBy,
    name: key.name,
    prefix: key.prefix,
  };
}

export async function deleteKeysForSite(siteId: Types.ObjectId): Promise<void> {
  await ApiKey.deleteMany({ siteId });
}

/**
 * Revokes the keys a person created on a site. Called when they leave the site or
 * delete their account: a copy they kept must stop working with their access.
 */
export async function revokeKeysCreatedBy(siteId: Types.ObjectId, accountId: Types.ObjectId): Promise<number> {
  const result = await ApiKey.updateMany(
    { siteId, createdBy: accountId, revokedAt: null },
    { $set: { revokedAt: new Date() } },
  );
  return result.modifiedCount;
}
