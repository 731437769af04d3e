import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/** One single-use recovery code: only its SHA-256 is kept, so a leak signs nobody in. */
const recoveryCodeSchema = new Schema(
  {
    accountId: { type: Schema.Types.ObjectId, required: true },
    codeHash: { type: String, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, strict: 'throw' },
);
recoveryCodeSchema.index({ accountId: 1, codeHash: 1 }, { unique: true });

export const RecoveryCode = model('RecoveryCode', recoveryCodeSchema, 'recovery_codes');

/**
 * A sign-in waiting for its second factor: the password was right, no session exists yet.
 * The client holds the token (only its SHA-256 is stored) and trades it with a code for a session.
 */
const loginChallengeSchema = new Schema(
  {
    tokenHash: { type: String, required: true, unique: true },
    accountId: { type: Schema.Types.ObjectId, required: true, index: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, strict: 'throw' },
);

export type LoginChallengeDoc = InferSchemaType<typeof loginChallengeSchema> & { _id: Types.ObjectId };
export const LoginChallenge = model('LoginChallenge', loginChallengeSchema, 'login_challenges');
