import type { Types } from 'mongoose';

import type { Scope } from '../keys/service';
import { AppError } from '../lib/errors';
import { getMembership, getSite, type Role, type SiteDoc } from '../sites/service';
import { requireTwoFactorPolicy } from '../sites/two-factor-policy';
import type { Auth } from './auth';

const RANK: Record<Role, number> = { viewer: 0, admin: 1, owner: 2 };

/** The key scope that stands in for a role; owner-only actions have none. */
const SCOPE_FOR_ROLE: Record<Role, Scope | null> = { viewer: 'stats:read', admin: 'sites:manage', owner: null };

/** The role a key acts with: sites:manage stands in for admin, stats:read for viewer; no key is ever owner. */
export function roleOfKey(scopes: readonly Scope[]): Role | null {
  if (scopes.includes('sites:manage')) return 'admin';
  if (scopes.includes('stats:read')) return 'viewer';
  return null;
}

/**
 * The scopes a key may use while the person who created it has `creatorRole` on its
 * site: a key never does more than its creator currently may. A viewer's key reads at most.
 */
export function scopesWithin(scopes: readonly Scope[], creatorRole: Role): Scope[] {
  if (RANK[creatorRole] >= RANK.admin) return [...scopes];
  return roleOfKey(scopes) ? ['stats:read'] : [];
}

export interface SiteAccess {
  site: SiteDoc;
  /** The caller's role; a key acts as viewer or admin according to its scopes. */
  role: Role;
  siteId: Types.ObjectId;
}

/**
 * Checks that the caller may act on the site with at least `needed`. A site the
 * caller has no part in is reported as not found, so ids reveal nothing. A site that
 * requires two-factor sign-in refuses members (and their keys) without it: 403
 * `two_factor_required`.
 */
export async function requireSiteAccess(auth: Auth, siteId: string, needed: Role): Promise<SiteAccess> {
  const notFound = new AppError('not_found', 'Site not found');
  if (auth.kind === 'key') {
    // equals() ignores hex case, as the database lookup for sessions does.
    if (!auth.siteId.equals(siteId)) throw notFound;
    const site = await getSite(siteId);
    if (!site) throw notFound;
    await requireTwoFactorPolicy(site, auth.createdBy);
    const scope = SCOPE_FOR_ROLE[needed];
    // Scopes rank like the roles they stand for: a sites:manage key may also read the site.
    const role = roleOfKey(auth.scopes);
    if (!scope || !role || RANK[role] < RANK[needed]) {
      throw new AppError(
        'forbidden',
        scope ? `This API key lacks the ${scope} scope` : 'This action needs a logged-in owner',
      );
    }
    return { site, role, siteId: site._id };
  }
  const membership = await getMembership(siteId, auth.accountId);
  if (!membership) throw notFound;
  const site = await getSite(siteId);
  if (!site) throw notFound;
  await requireTwoFactorPolicy(site, auth.accountId);
  if (RANK[membership.role] < RANK[needed]) {
    throw new AppError('forbidden', `This action needs the ${needed} role on this site`);
  }
  return { site, role: membership.role, siteId: site._id };
}
