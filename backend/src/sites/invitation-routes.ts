import { requireSession } from '../access/auth';
import { requireVerifiedEmail } from '../accounts/service';
import { requireSiteAccess } from '../access/site-access';
import { actorOf } from '../audit/actor';
import { AppError } from '../lib/errors';
import type { ApiRouter } from '../lib/http';
import { hit, type Limit } from '../lib/rate-limit';
import type { Mailer } from '../mail/mailer';
import {
  InvitationLinkBody,
  InvitationLinkPreview,
  InvitationParams,
  InvitationSignupBody,
  InvitationSignupDone,
  MyInvitationList,
  SiteInvitation,
  SiteInvitationList,
  SiteInvitationParams,
} from './invitation-schemas';
import {
  acceptInvitation,
  acceptInvitationLink,
  declineInvitation,
  declineInvitationLink,
  listMyInvitations,
  listSiteInvitations,
  previewInvitationLink,
  resendInvitation,
  revokeInvitation,
  signUpWithInvitationLink,
} from './invitations';
import { SiteIdParams, SiteResponse } from './schemas';
import { getSite, toSiteView } from './service';

const TAG = 'Sites';
// Link tokens are 256 random bits; this only keeps a client from hammering the lookups.
const INVITATION_LINKS_PER_IP: Limit = { name: 'invitation-link-ip', max: 30, windowMs: 15 * 60_000 };

/**
 * Invitations: the invited person's side (list, accept, decline; or by the mailed link) and the
 * site's side (list pending, resend, revoke). Sending one is `POST /sites/:siteId/members`.
 */
export function registerInvitationRoutes(api: ApiRouter, { mailer, appUrl }: { mailer: Mailer; appUrl: string }): void {
  const linkRoute = async (req: Parameters<typeof requireSession>[0]) =>
    hit(INVITATION_LINKS_PER_IP, req.ip ?? req.socket.remoteAddress ?? 'unknown');

  api.route(
    {
      method: 'post',
      path: '/invitations/link',
      operationId: 'previewInvitationLink',
      summary:
        'What the invitation behind a mailed link offers (site, role, who invited, whether the address has an account)',
      tag: TAG,
      auth: 'none',
      wordpress: 'backend-only',
      body: InvitationLinkBody,
      responses: { 200: { description: 'The invitation', schema: InvitationLinkPreview } },
    },
    async ({ body, req, res }) => {
      await linkRoute(req);
      res.json(await previewInvitationLink(body.token));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/invitations/link/accept',
      operationId: 'acceptInvitationLink',
      summary:
        'Accept the invitation behind a mailed link with the account you are signed in to (the link proves the mailbox)',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      body: InvitationLinkBody,
      responses: { 200: { description: 'The site, now yours with the role', schema: SiteResponse } },
    },
    async ({ body, req, res }) => {
      const { accountId } = requireSession(req);
      await linkRoute(req);
      const { siteId, role } = await acceptInvitationLink(body.token, accountId);
      const site = await getSite(siteId);
      if (!site) throw new AppError('not_found', 'Invitation not found');
      res.json(toSiteView(site, role));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/invitations/link/signup',
      operationId: 'signUpWithInvitationLink',
      summary:
        'Create an account with the invited address (confirmed by the link) and join the site; log in next. 409 when ' +
        'an account uses the address',
      tag: TAG,
      auth: 'none',
      wordpress: 'backend-only',
      body: InvitationSignupBody,
      responses: {
        201: {
          description: 'Account created and joined; log in with the invited address',
          schema: InvitationSignupDone,
        },
      },
    },
    async ({ body, req, res }) => {
      await linkRoute(req);
      const { email } = await signUpWithInvitationLink(body.token, { name: body.name, password: body.password });
      res.status(201).json({ email });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/invitations/link/decline',
      operationId: 'declineInvitationLink',
      summary: 'Decline the invitation behind a mailed link (no account needed); nothing about you is shared',
      tag: TAG,
      auth: 'none',
      wordpress: 'backend-only',
      body: InvitationLinkBody,
      responses: { 204: { description: 'Declined' } },
    },
    async ({ body, req, res }) => {
      await linkRoute(req);
      await declineInvitationLink(body.token);
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/invitations/:invitationId/resend',
      operationId: 'resendInvitation',
      summary: 'Mail a pending invitation again with a new link and a new expiry; the old link stops working',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: SiteInvitationParams,
      responses: { 202: { description: 'Sent again', schema: SiteInvitation } },
    },
    async ({ params, req, res }) => {
      const auth = requireSession(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'owner');
      const { invitation, mail } = await resendInvitation(siteId, params.invitationId, auth.accountId, appUrl);
      mailer.queue(mail);
      res.status(202).json(invitation);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/invitations',
      operationId: 'listMyInvitations',
      summary: 'The invitations waiting for your address; a site becomes yours only when you accept',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
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
      wordpress: 'backend-only',
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
      wordpress: 'backend-only',
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
      wordpress: 'backend-only',
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
      wordpress: 'backend-only',
      params: SiteInvitationParams,
      responses: { 204: { description: 'Revoked' } },
    },
    async ({ params, req, res }) => {
      const auth = requireSession(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'owner');
      await revokeInvitation(siteId, params.invitationId, actorOf(auth));
      res.status(204).end();
    },
  );
}
