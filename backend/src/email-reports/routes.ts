import type { Request, Response } from 'express';

import { requireAuth } from '../access/auth';
import { requireSiteAccess } from '../access/site-access';
import { actorOf } from '../audit/actor';
import type { ApiRouter } from '../lib/http';
import { hit, type Limit } from '../lib/rate-limit';
import { SiteIdParams } from '../sites/schemas';
import {
  CreateSubscriptionBody,
  SubscriptionList,
  SubscriptionParams,
  SubscriptionView,
  UnsubscribeQuery,
  UnsubscribeView,
} from './schemas';
import {
  addSubscription,
  listSubscriptions,
  removeSubscription,
  sendPreview,
  toSubscriptionView,
  unsubscribe,
  unsubscribeState,
  type EmailReportDeps,
  type UnsubscribeState,
} from './service';

const TAG = 'Email reports';

/** Previews per subscription: each is a mail to someone who may have no account. */
const PREVIEWS: Limit = { name: 'email-report-preview', max: 5, windowMs: 60_000 };
/** Unsubscribe link requests per client address, like the other public links. */
const UNSUBSCRIBE_PER_IP: Limit = { name: 'email-report-unsubscribe-ip', max: 30, windowMs: 15 * 60_000 };

/** Scheduled reports are site settings: owners and admins (and their sites:manage keys) manage them. */
export function registerEmailReportRoutes(api: ApiRouter, deps: EmailReportDeps): void {
  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/email-reports',
      operationId: 'listEmailReports',
      summary: "A site's scheduled email report subscriptions",
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'admin',
      params: SiteIdParams,
      responses: { 200: { description: 'Subscriptions', schema: SubscriptionList } },
    },
    async ({ params, req, res }) => {
      const { siteId } = await requireSiteAccess(requireAuth(req), params.siteId, 'admin');
      res.json({ subscriptions: (await listSubscriptions(siteId)).map(toSubscriptionView) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/email-reports',
      operationId: 'addEmailReport',
      summary:
        'Subscribe an address (no account needed) to the weekly or monthly report; 409 when it already gets that one',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'admin',
      params: SiteIdParams,
      body: CreateSubscriptionBody,
      responses: { 201: { description: 'Subscribed', schema: SubscriptionView } },
    },
    async ({ params, body, req, res }) => {
      const auth = requireAuth(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'admin');
      const createdBy = auth.kind === 'session' ? auth.accountId : auth.createdBy;
      const doc = await addSubscription(siteId, body, createdBy, actorOf(auth));
      res.status(201).json(toSubscriptionView(doc));
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/sites/:siteId/email-reports/:subscriptionId',
      operationId: 'removeEmailReport',
      summary: 'Stop sending a report to an address',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'admin',
      params: SubscriptionParams,
      responses: { 204: { description: 'Removed' } },
    },
    async ({ params, req, res }) => {
      const auth = requireAuth(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'admin');
      await removeSubscription(siteId, params.subscriptionId, actorOf(auth));
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/email-reports/:subscriptionId/preview',
      operationId: 'previewEmailReport',
      summary:
        'Send the report of the last complete period to the address now (not counted as its scheduled send; 5 a minute)',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'admin',
      params: SubscriptionParams,
      responses: { 202: { description: 'Being sent' } },
    },
    async ({ params, req, res }) => {
      const { siteId } = await requireSiteAccess(requireAuth(req), params.siteId, 'admin');
      await hit(PREVIEWS, params.subscriptionId.toLowerCase());
      await sendPreview(siteId, params.subscriptionId, deps);
      res.status(202).end();
    },
  );
}

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The page a person sees on opening the link: what it is about, and a button that POSTs. */
function unsubscribePage(state: UnsubscribeState, token: string, done: boolean): string {
  const what = state.site
    ? `the ${state.frequency} Clickpath report of ${escapeHtml(state.site.name)} (${escapeHtml(state.site.domain)}) to ${escapeHtml(state.email ?? '')}`
    : '';
  const body = done
    ? '<h1>You are unsubscribed</h1><p>No more reports will be sent to this address.</p>'
    : state.subscribed
      ? `<h1>Unsubscribe?</h1><p>Stop sending ${what}.</p>` +
        `<form method="post" action="?token=${encodeURIComponent(token)}"><button type="submit" style="padding:10px 18px;font-size:16px">Unsubscribe</button></form>`
      : '<h1>You are unsubscribed</h1><p>This address no longer gets this report.</p>';
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
    '<meta name="robots" content="noindex"><title>Clickpath email reports</title></head>' +
    '<body style="font-family:-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica,Arial,sans-serif;max-width:560px;margin:40px auto;padding:0 16px;line-height:1.5">' +
    `${body}</body></html>`
  );
}

/** Browsers get the page; API clients that ask for JSON get the state. */
function answer(req: Request, res: Response, state: UnsubscribeState, token: string, done: boolean): void {
  if (req.accepts(['json', 'html']) === 'html') {
    res.type('html').send(unsubscribePage(state, token, done));
  } else {
    res.json(state);
  }
}

/**
 * The unsubscribe link of report mail: public (the signed token is the credential). Registered
 * before the JSON body parser and the session check, because RFC 8058 one-click requests POST
 * `List-Unsubscribe=One-Click` as a form, without cookies or an Origin.
 */
export function registerUnsubscribeRoutes(api: ApiRouter): void {
  const limit = (req: Request) => hit(UNSUBSCRIBE_PER_IP, req.ip ?? req.socket.remoteAddress ?? 'unknown');

  api.route(
    {
      method: 'get',
      path: '/email-reports/unsubscribe',
      operationId: 'showEmailReportUnsubscribe',
      summary:
        'What an unsubscribe link is about, with a button that POSTs (an HTML page, or JSON when asked); changes nothing, ' +
        'since mail scanners open links',
      tag: TAG,
      auth: 'none',
      wordpress: 'backend-only',
      query: UnsubscribeQuery,
      responses: { 200: { description: 'The subscription the link names', schema: UnsubscribeView } },
    },
    async ({ query, req, res }) => {
      await limit(req);
      answer(req, res, await unsubscribeState(query.token), query.token, false);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/email-reports/unsubscribe',
      operationId: 'emailReportUnsubscribe',
      summary:
        'Unsubscribe by the signed link (RFC 8058 one-click); again, or after the site removed it, answers 200 as well; ' +
        'a forged or damaged token answers 400',
      tag: TAG,
      auth: 'none',
      wordpress: 'backend-only',
      query: UnsubscribeQuery,
      responses: { 200: { description: 'Unsubscribed', schema: UnsubscribeView } },
    },
    async ({ query, req, res }) => {
      await limit(req);
      answer(req, res, await unsubscribe(query.token), query.token, true);
    },
  );
}
