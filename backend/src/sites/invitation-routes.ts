import { requireSession } from '../access/auth';
import { requireVerifiedEmail } from '../accounts/service';
import { requireSiteAccess } from '../access/site-access';
import type { ApiRouter } from '../lib/http';
import { InvitationParams, MyInvitationList, SiteInvitationList, SiteInvitationParams } from './invitation-schemas';
import {
  acceptInvitation,
  declineInvitation,
  listMyInvitations,
  listSiteInvitations,
  revokeInvitation,
} from './invitations';
import { SiteIdParams, SiteResponse } from './schemas';
import { getSite, toSiteView } from './service';

const TAG = 'Sites';

/**
 * Invitations: the invited person's side (list, accept, decline) and the site's side
 * (list pending, revoke). Sending one is `POST /sites/:siteId/members`.
 */
export function registerInvitationRoutes(api: ApiRouter): void {
  api.route(
    {
      method: 'get',
      path: '/invitations',
      operationId: 'listMyInvitations',
      summary: 'The invitations waiting for your address; a site becomes yours only when you accept',
      tag: TAG,
      auth: 'session',
      responses: { 200: { description: 'Pending invitations', schema: MyInvitationList } },
    },
    async ({ req, res }) => {
      const { accountId } = requireSession(req);
      // Invitations are addressed to an email: only someone who proved it is theirs may see or answer them.
      await requireVerifiedEmail(accountId, 'seeing the invitations sent to it');
      res.json({ invitations: await listMyInvitations(accountId) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/invitations/:invitationId/accept',
      operationId: 'acceptInvitation',
      summary: 'Accept an invitation: you become a member of the site with the role offered',
      tag: TAG,
      auth: 'session',
      params: InvitationParams,
      responses: { 200: { description: 'The site, now yours with the role', schema: SiteResponse } },
    },
    async ({ params, req, res }) => {
      const { accountId } = requireSession(req);
      await requireVerifiedEmail(accountId, 'joining a site');
      const { siteId, role } = await acceptInvitation(accountId, params.invitationId);
      const site = await getSite(siteId);
      if (!site) throw new Error('accepted invitation to a missing site');
      res.json(toSiteView(site, role));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/invitations/:invitationId/decline',
      operationId: 'declineInvitation',
      summary: 'Decline an invitation; nothing about you is shared with the site',
      tag: TAG,
      auth: 'session',
      params: InvitationParams,
      responses: { 204: { description: 'Declined' } },
    },
    async ({ params, req, res }) => {
      const { accountId } = requireSession(req);
      await requireVerifiedEmail(accountId, 'answering invitations');
      await declineInvitation(accountId, params.invitationId);
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/invitations',
      operationId: 'listSiteInvitations',
      summary: "A site's pending invitations",
      tag: TAG,
      auth: 'session',
      params: SiteIdParams,
      responses: { 200: { description: 'Pending invitations', schema: SiteInvitationList } },
    },
    async ({ params, req, res }) => {
      const { siteId } = await requireSiteAccess(requireSession(req), params.siteId, 'admin');
      res.json({ invitations: await listSiteInvitations(siteId) });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/sites/:siteId/invitations/:invitationId',
      operationId: 'revokeInvitation',
      summary: 'Revoke a pending invitation',
      tag: TAG,
      auth: 'session',
      params: SiteInvitationParams,
      responses: { 204: { description: 'Revoked' } },
    },
    async ({ params, req, res }) => {
      const { siteId } = await requireSiteAccess(requireSession(req), params.siteId, 'owner');
      await revokeInvitation(siteId, params.invitationId);
      res.status(204).end();
    },
  );
}
