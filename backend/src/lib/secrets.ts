import { createHmac } from 'node:crypto';

import mongoose from 'mongoose';

/** The installation's secret in `secrets`, created by migration 1. */
export const INSTANCE_SECRET_ID = 'instance';

let cachedSecret: string | undefined;

async function instanceSecret(): Promise<string> {
  if (cachedSecret) return cachedSecret;
  const db = mongoose.connection.db;
  if (!db) throw new Error('database not connected');
  const doc = await db.collection<{ _id: string; value: string }>('secrets').findOne({ _id: INSTANCE_SECRET_ID });
  if (!doc) throw new Error('instance secret missing: migrations have not run');
  cachedSecret = doc.value;
  return cachedSecret;
}

/** Keyed hash of an identifier (an IP, an email) so it can be counted without being stored. */
export async function pseudonymise(value: string): Promise<string> {
  return createHmac('sha256', await instanceSecret())
    .update(value)
    .digest('base64url');
}

/** Forget the cached secret (tests that drop the database call this). */
export function resetSecretCache(): void {
  cachedSecret = undefined;
}
