import { z } from '../lib/zod';

import { objectId } from '../lib/validate';

const AssignableRole = z.enum(['admin', 'viewer']);
const Person = z.object({ name: z.string(), email: z.string() });

export const InvitationParams = z.strictObject({ invitationId: objectId() });
export const SiteInvitationParams = z.strictObject({ siteId: objectId(), invitationId: objectId() });

/** A pending invitation as the site's owner and admins see it. */
export const SiteInvitation = z
  .object({
    id: z.string(),
    email: z.string(),
    role: AssignableRole,
    invitedBy: Person.nullable(),
    createdAt: z.string(),
    expiresAt: z.string(),
  })
  .openapi('SiteInvitation');
export const SiteInvitationList = z.object({ invitations: z.array(SiteInvitation) });

/** A pending invitation as the invited person sees it: which site, which role, who asked. */
export const MyInvitation = z
  .object({
    id: z.string(),
    site: z.object({ id: z.string(), name: z.string(), domain: z.string() }),
    role: AssignableRole,
    invitedBy: Person.nullable(),
    createdAt: z.string(),
    expiresAt: z.string(),
  })
  .openapi('Invitation');
export const MyInvitationList = z.object({ invitations: z.array(MyInvitation) });
