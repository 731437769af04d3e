import type { Migration } from './index';

/**
 * Accounts created before email verification existed have no `emailVerifiedAt`. Their holders
 * have used them, been invited and shared sites under these addresses for as long as they
 * existed; locking them out of inviting or joining until they find a link would punish them
 * for our late start, so they count as verified from now on (docs/email.md). Accounts created
 * since carry the field (null until confirmed) and are not touched.
 */
export const accountsVerified: Migration = {
  id: 7,
  name: 'accounts-verified',
  async up(db) {
    const now = new Date();
    await db
      .collection('accounts')
      .updateMany({ emailVerifiedAt: { $exists: false } }, { $set: { emailVerifiedAt: now, pendingEmail: null } });
  },
};
