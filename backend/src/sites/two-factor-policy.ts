import type { Types } from 'mongoose';

import { twoFactorEnabled } from '../accounts/two-factor';
import { accountActor } from '../audit/actor';
import { recordAudit } from '../audit/service';
import { AppError } from '../lib/errors';
import { Site, type SiteDoc } from './model';

/**
 * A site's owner may require two-factor sign-in of every member: until a member turns it on,
 * everything about that site answers them 403 `two_factor_required` (their other sites do not).
 * requireSiteAccess applies the rule, so no route can forget it.
 */

/** Whether `site` lets in an account whose two-factor sign-in is `enabled`. */
export const meetsTwoFactorPolicy = (site: Pick<SiteDoc, 'requireTwoFactor'>, enabled: boolean): boolean =>
  site.requireTwoFactor !== true || enabled;

/**
 * 403 `two_factor_required` when the site requires two-factor sign-in and the account has it
 * off. For an API key, the account is its creator's: a key does no more than its creator may.
 */
export async function requireTwoFactorPolicy(site: SiteDoc, accountId: Types.ObjectId): Promise<void> {
  if (site.requireTwoFactor !== true) return;
  if (meetsTwoFactorPolicy(site, await twoFactorEnabled(accountId))) return;
  throw new AppError(
    'two_factor_required',
    `${site.name} requires two-factor sign-in of its members: turn it on under Account › Two-factor sign-in to open this site`,
    { siteId: site._id.toHexString() },
  );
}

/**
 * Turns the requirement on or off. Turning it on needs two-factor sign-in on the owner's own
 * account first, so the owner does not shut themselves out by saving the setting.
 */
export async function setTwoFactorRequired(
  siteId: Types.ObjectId,
  ownerId: Types.ObjectId,
  required: boolean,
): Promise<SiteDoc> {
  if (required && !(await twoFactorEnabled(ownerId))) {
    throw new AppError(
      'two_factor_required',
      'Turn on two-factor sign-in for your own account before requiring it of the members',
    );
  }
  const before = await Site.findByIdAndUpdate(
    siteId,
    { $set: { requireTwoFactor: required } },
    { returnDocument: 'before' },
  ).lean<SiteDoc>();
  const site = before ? await Site.findById(siteId).lean<SiteDoc>() : null;
  if (!before || !site) throw new AppError('not_found', 'Site not found');
  if ((before.requireTwoFactor === true) !== required) {
    await recordAudit(siteId, accountActor(ownerId), 'site.two_factor_policy', { required });
  }
  return site;
}
