import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

export const ROLES = ['owner', 'admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const siteSchema = new Schema(
  {
    name: { type: String, required: true },
    domain: { type: String, required: true },
    timezone: { type: String, required: true },
    // Public (the tracker sends it) but random, so it reveals nothing and cannot be enumerated.
    publicId: { type: String, required: true, unique: true },
    ownerId: { type: Schema.Types.ObjectId, required: true, index: true },
    settings: { type: Schema.Types.Mixed, required: true },
    /** Members without two-factor sign-in get 403 `two_factor_required` here (sites/two-factor-policy.ts). */
    requireTwoFactor: { type: Boolean, default: false },
    /**
     * Key of the HMAC with which the site's first-party relay vouches for a visitor's IP and user
     * agent (collect/relay.ts). Kept as is because verifying an HMAC needs it; never in a site view.
     */
    relaySecret: { type: String, default: null },
  },
  { timestamps: true, strict: 'throw', minimize: false },
);

export type SiteDoc = InferSchemaType<typeof siteSchema> & { _id: Types.ObjectId };
export const Site = model('Site', siteSchema, 'sites');

const memberSchema = new Schema(
  {
    siteId: { type: Schema.Types.ObjectId, required: true },
    accountId: { type: Schema.Types.ObjectId, required: true, index: true },
    role: { type: String, enum: ROLES, required: true },
  },
  { timestamps: true, strict: 'throw' },
);
memberSchema.index({ siteId: 1, accountId: 1 }, { unique: true });

export type MemberDoc = InferSchemaType<typeof memberSchema> & { _id: Types.ObjectId; role: Role };
export const Member = model('Member', memberSchema, 'members');

const invitationSchema = new Schema(
  {
    siteId: { type: Schema.Types.ObjectId, required: true },
    // The address invited (lowercase): an account using it may answer, whether it exists yet or not.
    email: { type: String, required: true, index: true },
    role: { type: String, enum: ['admin', 'viewer'], required: true },
    invitedBy: { type: Schema.Types.ObjectId, required: true },
    expiresAt: { type: Date, required: true },
    // SHA-256 of the token in the mailed link (null for invitations from before invitation mail).
    tokenHash: { type: String, default: null, index: true },
  },
  { timestamps: true, strict: 'throw' },
);
invitationSchema.index({ siteId: 1, email: 1 }, { unique: true });

export type InvitationDoc = InferSchemaType<typeof invitationSchema> & {
  _id: Types.ObjectId;
  role: Exclude<Role, 'owner'>;
};
export const Invitation = model('Invitation', invitationSchema, 'invitations');
