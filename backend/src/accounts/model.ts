import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

const accountSchema = new Schema(
  {
    email: { type: String, required: true, unique: true },
    name: { type: String, default: '' },
    passwordHash: { type: String, required: true },
    /** When the address was confirmed by a link sent to it; null until then (docs/email.md). */
    emailVerifiedAt: { type: Date, default: null },
    /** A new address waiting for its confirmation link; `email` stays in use until then. */
    pendingEmail: { type: String, default: null },
    // Two-factor sign-in (accounts/two-factor.ts). The secret is kept as is: checking a code needs it.
    totpSecret: { type: String, default: null },
    /** When the first code confirmed the secret; null while two-factor sign-in is off. */
    totpEnabledAt: { type: Date, default: null },
    /** The last time step a code was accepted for: that code and older ones never work again. */
    totpLastStep: { type: Number, default: null },
    /** A secret shown for enrolment, waiting for its first code until `totpPendingUntil`. */
    totpPendingSecret: { type: String, default: null },
    totpPendingUntil: { type: Date, default: null },
  },
  { timestamps: true, strict: 'throw' },
);

export type AccountDoc = InferSchemaType<typeof accountSchema> & { _id: Types.ObjectId };
export const Account = model('Account', accountSchema, 'accounts');

const sessionSchema = new Schema(
  {
    // SHA-256 of the cookie value: a database leak does not hand out live sessions.
    tokenHash: { type: String, required: true, unique: true },
    accountId: { type: Schema.Types.ObjectId, required: true, index: true },
    expiresAt: { type: Date, required: true, index: true },
    lastSeenAt: { type: Date, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, strict: 'throw' },
);

export type SessionDoc = InferSchemaType<typeof sessionSchema> & { _id: Types.ObjectId };
export const Session = model('Session', sessionSchema, 'sessions');

export const TOKEN_PURPOSES = ['password-reset', 'verify-email'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

/** Single-use links sent by mail: only a SHA-256 of the token is kept, so a leak opens nothing. */
const accountTokenSchema = new Schema(
  {
    tokenHash: { type: String, required: true, unique: true },
    accountId: { type: Schema.Types.ObjectId, required: true, index: true },
    purpose: { type: String, enum: TOKEN_PURPOSES, required: true },
    /** The address the link went to: it works only while that is still the account's (or pending) address. */
    email: { type: String, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, strict: 'throw' },
);

export type AccountTokenDoc = InferSchemaType<typeof accountTokenSchema> & {
  _id: Types.ObjectId;
  purpose: TokenPurpose;
};
export const AccountToken = model('AccountToken', accountTokenSchema, 'account_tokens');
