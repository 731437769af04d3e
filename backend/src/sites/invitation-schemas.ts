import { z } from '../lib/zod';

import { NewPassword } from '../accounts/passwords';
import { LinkToken } from '../accounts/tokens';
import { objectId, text } from '../lib/validate';

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
export const SiteInvitationList = z.object({ invitations: z.array(SiteInvitation) }).openapi('SiteInvitationList');

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
export const MyInvitationList = z.object({ invitations: z.array(MyInvitation) }).openapi('InvitationList');

export const InvitationLinkBody = z.strictObject({ token: LinkToken }).openapi('InvitationLink');

export const InvitationSignupBody = z
  .strictObject({ token: LinkToken, name: text(100, 0).default(''), password: NewPassword })
  .openapi('InvitationSignup');

export const InvitationSignupDone = z
  .object({ email: z.string().openapi({ description: 'The address to log in with' }) })
  .openapi('InvitationSignupDone');

/** What an invitation link offers, as the page it opens shows it. */
export const InvitationLinkPreview = z
  .object({
    email: z.string(),
    site: z.object({ name: z.string(), domain: z.string() }),
    role: AssignableRole,
    invitedBy: Person.nullable(),
    expiresAt: z.string(),
    hasAccount: z.boolean().openapi({ description: 'Whether an account uses the invited address' }),
  })
  .openapi('InvitationLinkPreview');
