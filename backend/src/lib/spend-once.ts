import { createHash } from 'node:crypto';

import { Schema, model, trusted, type Types } from 'mongoose';

import { isDuplicateKey } from './db-errors';

/**
 * Keys spent once: a TOTP time step, a recovery code, a login challenge, a mailed link, an
 * invitation. The unique `_id` is what makes each single-use: an insert into it is the one
 * write FerretDB 1.24 keeps exclusive when requests race (four racing conditional updates,
 * or four racing findOneAndDelete, all report success there). Only a SHA-256 of the key is
 * stored, and only while what it names could still be presented; a job prunes the rest.
 */
const spentKeySchema = new Schema(
  {
    _id: { type: String, required: true },
    /** The account the key belongs to, if any: its keys go when it is deleted. */
    accountId: { type: Schema.Types.ObjectId, default: null, index: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, strict: 'throw' },
);

const SpentKey = model('SpentKey', spentKeySchema, 'spent_keys');

/**
 * Spends `key`: true for the one call that does, false for every other, however they race.
 * `until`: when what the key names can no longer be presented anyway (its expiry).
 */
export async function spendOnce(
  key: string,
  { until, accountId = null }: { until: Date; accountId?: Types.ObjectId | null },
): Promise<boolean> {
  try {
    await SpentKey.create({ _id: createHash('sha256').update(key).digest('base64url'), accountId, expiresAt: until });
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

/** Forgets the keys an account spent (the account is being deleted). */
export async function forgetSpentKeys(accountId: Types.ObjectId): Promise<void> {
  await SpentKey.deleteMany({ accountId });
}

/** Deletes keys whose thing expired: nobody can present it again. Run by the scheduler. */
export async function pruneSpentKeys(now = new Date()): Promise<number> {
  return (await SpentKey.deleteMany({ expiresAt: trusted({ $lte: now }) })).deletedCount;
}
