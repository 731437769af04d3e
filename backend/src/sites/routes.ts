import { requireAuth, requireSession } from '../access/auth';
import { findAccount, requireVerifiedEmail } from '../accounts/service';
import { requireSiteAccess, roleOfKey } from '../access/site-access';
import { actorOf } from '../audit/actor';
import type { ApiRouter } from '../lib/http';
import { deleteSite, removeMember } from '../lifecycle/service';
import type { Mailer } from '../mail/mailer';
import {
  CreateSiteBody,
  InviteMemberBody,
  MemberList,
  MemberParams,
  SiteIdParams,
  SiteList,
  SiteResponse,
  TransferOwnershipBody,
  TwoFactorPolicyBody,
  UpdateMemberBody,
  UpdateSiteBody,
} from './schemas';
import { SiteInvitation } from './invitation-schemas';
import { inviteToSite } from './invitations';
import { ownershipMail } from './messages';
import {
  UNVERIFIED_SITE_LIMIT,
  changeMemberRole,
  countOwnedSites,
  createSite,
  getSite,
  listMembers,
  listSitesFor,
  toSiteView,
  transferOwnership,
  updateSite,
} from './service';
import { setTwoFactorRequired } from './two-factor-policy';

const TAG = 'Sites';

export function registerSiteRoutes(api: ApiRouter, { mailer, appUrl }: { mailer: Mailer; appUrl: string }): void {
  api.route(
    {
      method: 'get',
      path: '/sites',
      operationId: 'listSites',
      summary: 'List the sites you can access (a key sees only its own site)',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'backend-only',
      responses: { 200: { description: 'Sites', schema: SiteList } },
    },
    async ({ req, res }) => {
      const auth = requireAuth(req);
      if (auth.kind === 'key') {
        // A key without a reading scope (events:write only) sees nothing, as GET /sites/:siteId refuses it.
        const site = await getSite(auth.siteId);
        const role = roleOfKey(auth.scopes);
        res.json({ sites: site && role ? [toSiteView(site, role)] : [] });
        return;
      }
      res.json({ sites: (await listSitesFor(auth.accountId)).map(({ site, role }) => toSiteView(site, role)) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites',
      operationId: 'createSite',
      summary: 'Add a site',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      body: CreateSiteBody,
      responses: { 201: { description: 'Site created', schema: SiteResponse } },
    },
    async ({ body, req, res }) => {
      const auth = requireSession(req);
      if ((await countOwnedSites(auth.accountId)) >= UNVERIFIED_SITE_LIMIT) {
        await requireVerifiedEmail(auth.accountId, 'adding another site');
      }
      res.status(201).json(toSiteView(await createSite(auth.accountId, body), 'owner'));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId',
      operationId: 'getSite',
      summary: 'Read a site',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'backend-only',
      params: SiteIdParams,
      responses: { 200: { description: 'Site', schema: SiteResponse } },
    },
    async ({ params, req, res }) => {
      const { site, role } = await requireSiteAccess(requireAuth(req), params.siteId, 'viewer');
      res.json(toSiteView(site, role));
    },
  );

  api.route(
    {
      method: 'patch',
      path: '/sites/:siteId',
      operationId: 'updateSite',
      summary: 'Update a site (name, domain, time zone, settings)',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'backend-only',
      params: SiteIdParams,
      body: UpdateSiteBody,
      responses: { 200: { description: 'Updated site', schema: SiteResponse } },
    },
    async ({ params, body, req, res }) => {
      const auth = requireAuth(req);
      const { siteId, role } = await requireSiteAccess(auth, params.siteId, 'admin');
      res.json(toSiteView(await updateSite(siteId, body, actorOf(auth)), role));
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/sites/:siteId',
      operationId: 'deleteSite',
      summary: 'Delete a site with its keys, members and all its data',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: SiteIdParams,
      responses: { 204: { description: 'Site deleted' } },
    },
    async ({ params, req, res }) => {
      const { siteId } = await requireSiteAccess(requireSession(req), params.siteId, 'owner');
      await deleteSite(siteId);
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/members',
      operationId: 'listMembers',
      summary: "List a site's members",
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: SiteIdParams,
      responses: { 200: { description: 'Members', schema: MemberList } },
    },
    async ({ params, req, res }) => {
      const { siteId } = await requireSiteAccess(requireSession(req), params.siteId, 'admin');
      res.json({ members: await listMembers(siteId) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/members',
      operationId: 'inviteMember',
      summary:
        'Invite an address to the site with a role. The answer is the same whether or not the address has an ' +
        'account; the person becomes a member only when they accept (GET /invitations)',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: SiteIdParams,
      body: InviteMemberBody,
      responses: { 202: { description: 'Invitation pending', schema: SiteInvitation } },
    },
    async ({ params, body, req, res }) => {
      const auth = requireSession(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'owner');
      await requireVerifiedEmail(auth.accountId, 'inviting anyone');
      const { invitation, mail } = await inviteToSite(siteId, auth.accountId, body.email, body.role, appUrl);
      mailer.queue(mail);
      res.status(202).json(invitation);
    },
  );

  api.route(
    {
      method: 'patch',
      path: '/sites/:siteId/members/:accountId',
      operationId: 'updateMemberRole',
      summary: "Change a member's role",
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: MemberParams,
      body: UpdateMemberBody,
      responses: { 204: { description: 'Role changed' } },
    },
    async ({ params, body, req, res }) => {
      const auth = requireSession(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'owner');
      await changeMemberRole(siteId, params.accountId, body.role, actorOf(auth));
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/sites/:siteId/members/:accountId',
      operationId: 'removeMember',
      summary: 'Remove a member from the site',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: MemberParams,
      responses: { 204: { description: 'Member removed' } },
    },
    async ({ params, req, res }) => {
      const auth = requireSession(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'owner');
      await removeMember(siteId, params.accountId, actorOf(auth));
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/owner',
      operationId: 'transferOwnership',
      summary:
        'Hand the site to another member (with a confirmed address): they become its owner and are told by mail; ' +
        'you become an admin',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: SiteIdParams,
      body: TransferOwnershipBody,
      responses: { 200: { description: 'The site, as you now see it (admin)', schema: SiteResponse } },
    },
    async ({ params, body, req, res }) => {
      const auth = requireSession(req);
      const { site, siteId } = await requireSiteAccess(auth, params.siteId, 'owner');
      const { newOwner } = await transferOwnership(siteId, auth.accountId, body.accountId);
      const from = await findAccount(auth.accountId);
      mailer.queue(
        ownershipMail(appUrl, newOwner.email, {
          name: newOwner.name,
          site: { id: site._id.toHexString(), name: site.name },
          from: from ? from.name || from.email : 'The previous owner',
        }),
      );
      const updated = await getSite(siteId);
      res.json(toSiteView(updated ?? site, 'admin'));
    },
  );

  api.route(
    {
      method: 'put',
      path: '/sites/:siteId/two-factor-policy',
      operationId: 'setTwoFactorPolicy',
      summary:
        'Require two-factor sign-in of every member (owner only; your own account needs it on first). Members ' +
        'without it get 403 two_factor_required on everything of this site, and so do the keys they created',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: SiteIdParams,
      body: TwoFactorPolicyBody,
      responses: { 200: { description: 'The site', schema: SiteResponse } },
    },
    async ({ params, body, req, res }) => {
      const auth = requireSession(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'owner');
      res.json(toSiteView(await setTwoFactorRequired(siteId, auth.accountId, body.required), 'owner'));
    },
  );
}
