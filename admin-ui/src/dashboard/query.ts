import { withQuery } from '../data/query-string';
import { requestJson, type FetchLike } from '../data/standalone';
import type { Erased } from '../data/types';
import type { EmailReportSubscription, NewEmailReport } from '../reports-alerts/types';
import type {
  AlertEvent,
  AlertSettings,
  ApiKey,
  ApiKeyWithSecret,
  AuditPage,
  Invitation,
  InvitationLink,
  Me,
  Member,
  OutboxMessage,
  Profile,
  Role,
  Route,
  Scope,
  SecondFactor,
  Session,
  Site,
  SiteInvitation,
  SiteSettings,
  TwoFactorChallenge,
  TwoFactorSetup,
  TwoFactorStatus,
  DeliveryAttempt,
  DeliveryLog,
  Webhook,
  WebhookEvent,
  WebhookWithSecret,
} from './types';

const API = '/api/v1';
const doFetch: FetchLike = (input, init) => window.fetch(input, init);
const call = <T>(path: string, method = 'GET', body?: unknown) =>
  requestJson<T>(doFetch, `${API}${path}`, body === undefined ? { method } : { method, body });
const site = (id: string) => `/sites/${encodeURIComponent(id)}`;

/** The backend's account, site, member and key endpoints (cookie session, same origin). */
export const api = {
  me: () => call<Me>('/me'),
  session: () => call<Session>('/auth/session'),
  /** Answers alike whether or not the address was free, and starts no session: log in next. */
  signup: (body: { email: string; password: string; name: string }) =>
    call<{ status: 'accepted'; message: string }>('/auth/signup', 'POST', body),
  /** Signs in, or, with two-factor sign-in on, answers the challenge for `loginSecondFactor` (no session yet). */
  login: (body: { email: string; password: string }) => call<Profile | TwoFactorChallenge>('/auth/login', 'POST', body),
  loginSecondFactor: (challenge: string, factor: SecondFactor) =>
    call<Profile>('/auth/login/two-factor', 'POST', { challenge, ...factor }),
  logout: () => call<void>('/auth/logout', 'POST'),
  /** Answers alike whether or not an account uses the address. */
  requestPasswordReset: (email: string) =>
    call<{ status: 'accepted'; message: string }>('/auth/password-reset', 'POST', { email }),
  resetPassword: (token: string, password: string) =>
    call<void>('/auth/password-reset/confirm', 'POST', { token, password }),
  verifyEmail: (token: string) => call<{ email: string; emailVerified: true }>('/auth/verify-email', 'POST', { token }),
  resendVerification: () => call<{ status: 'accepted'; message: string }>('/account/verification', 'POST'),
  outbox: () => call<{ mode: 'smtp' | 'outbox'; messages: OutboxMessage[] }>('/admin/outbox'),
  updateProfile: (body: { name?: string; email?: string; currentPassword?: string }) =>
    call<Profile>('/account', 'PATCH', body),
  changePassword: (body: { currentPassword: string; newPassword: string }) =>
    call<void>('/account/password', 'PUT', body),
  deleteAccount: (password: string) => call<void>('/account', 'DELETE', { password }),
  twoFactor: () => call<TwoFactorStatus>('/account/two-factor'),
  startTwoFactorSetup: (password: string) => call<TwoFactorSetup>('/account/two-factor/setup', 'POST', { password }),
  /** Turns it on; the recovery codes come back this once. */
  confirmTwoFactorSetup: (code: string) =>
    call<{ recoveryCodes: string[] }>('/account/two-factor/confirm', 'POST', { code }),
  regenerateRecoveryCodes: (code: string) =>
    call<{ recoveryCodes: string[] }>('/account/two-factor/recovery-codes', 'POST', { code }),
  disableTwoFactor: (password: string, factor: SecondFactor) =>
    call<void>('/account/two-factor', 'DELETE', { password, ...factor }),
  sites: async () => (await call<{ sites: Site[] }>('/sites')).sites,
  createSite: (body: { name: string; domain: string; timezone: string }) => call<Site>('/sites', 'POST', body),
  updateSite: (
    id: string,
    body: Partial<Pick<Site, 'name' | 'domain' | 'timezone'>> & { settings?: Partial<SiteSettings> },
  ) => call<Site>(site(id), 'PATCH', body),
  deleteSite: (id: string) => call<void>(site(id), 'DELETE'),
  /** Erases every visitor the site identified with this user id (first-party mode). */
  erasePerson: (id: string, userId: string) =>
    call<Erased>(`${site(id)}/people/${encodeURIComponent(userId)}`, 'DELETE'),
  /** Where the browser downloads everything stored for the site as one JSON file (the cookie authenticates it). */
  siteExportUrl: (id: string) => `${API}${site(id)}/export/site`,
  members: async (id: string) => (await call<{ members: Member[] }>(`${site(id)}/members`)).members,
  inviteMember: (id: string, email: string, role: Exclude<Role, 'owner'>) =>
    call<SiteInvitation>(`${site(id)}/members`, 'POST', { email, role }),
  siteInvitations: async (id: string) =>
    (await call<{ invitations: SiteInvitation[] }>(`${site(id)}/invitations`)).invitations,
  resendInvitation: (id: string, invitationId: string) =>
    call<SiteInvitation>(`${site(id)}/invitations/${encodeURIComponent(invitationId)}/resend`, 'POST'),
  /** What the invitation behind a mailed link offers. */
  invitationLink: (token: string) => call<InvitationLink>('/invitations/link', 'POST', { token }),
  acceptInvitationLink: (token: string) => call<Site>('/invitations/link/accept', 'POST', { token }),
  declineInvitationLink: (token: string) => call<void>('/invitations/link/decline', 'POST', { token }),
  /** Creates a confirmed account with the invited address and joins the site; log in next. */
  signUpWithInvitationLink: (body: { token: string; name: string; password: string }) =>
    call<{ email: string }>('/invitations/link/signup', 'POST', body),
  revokeInvitation: (id: string, invitationId: string) =>
    call<void>(`${site(id)}/invitations/${encodeURIComponent(invitationId)}`, 'DELETE'),
  myInvitations: async () => (await call<{ invitations: Invitation[] }>('/invitations')).invitations,
  acceptInvitation: (invitationId: string) =>
    call<Site>(`/invitations/${encodeURIComponent(invitationId)}/accept`, 'POST'),
  declineInvitation: (invitationId: string) =>
    call<void>(`/invitations/${encodeURIComponent(invitationId)}/decline`, 'POST'),
  setTwoFactorPolicy: (id: string, required: boolean) =>
    call<Site>(`${site(id)}/two-factor-policy`, 'PUT', { required }),
  /** Hands the site to a member; you become an admin. */
  transferOwnership: (id: string, accountId: string) => call<Site>(`${site(id)}/owner`, 'POST', { accountId }),
  setMemberRole: (id: string, accountId: string, role: Exclude<Role, 'owner'>) =>
    call<void>(`${site(id)}/members/${encodeURIComponent(accountId)}`, 'PATCH', { role }),
  removeMember: (id: string, accountId: string) =>
    call<void>(`${site(id)}/members/${encodeURIComponent(accountId)}`, 'DELETE'),
  keys: async (id: string) => (await call<{ keys: ApiKey[] }>(`${site(id)}/keys`)).keys,
  createKey: (id: string, name: string, scopes: Scope[]) =>
    call<ApiKeyWithSecret>(`${site(id)}/keys`, 'POST', { name, scopes }),
  revokeKey: (id: string, keyId: string) =>
    call<ApiKey>(`${site(id)}/keys/${encodeURIComponent(keyId)}/revoke`, 'POST'),
  rotateKey: (id: string, keyId: string) =>
    call<ApiKeyWithSecret>(`${site(id)}/keys/${encodeURIComponent(keyId)}/rotate`, 'POST'),
  /** A page of the site's audit log, newest first; `cursor` is the previous page's `nextCursor`. */
  auditLog: (
    id: string,
    query: { cursor?: string | null; actions?: readonly string[] | undefined; limit?: number } = {},
  ) =>
    call<AuditPage>(
      withQuery(`${site(id)}/audit`, { cursor: query.cursor, action: query.actions, limit: query.limit }),
    ),
  webhooks: async (id: string) => (await call<{ webhooks: Webhook[] }>(`${site(id)}/webhooks`)).webhooks,
  /** The signing secret comes back this once. */
  createWebhook: (id: string, body: { url: string; events: WebhookEvent[]; description: string }) =>
    call<WebhookWithSecret>(`${site(id)}/webhooks`, 'POST', body),
  deleteWebhook: (id: string, webhookId: string) =>
    call<void>(`${site(id)}/webhooks/${encodeURIComponent(webhookId)}`, 'DELETE'),
  /** Sends a webhook.test event now and answers what the receiver said. */
  testWebhook: (id: string, webhookId: string) =>
    call<DeliveryAttempt>(`${site(id)}/webhooks/${encodeURIComponent(webhookId)}/test`, 'POST'),
  webhookDeliveries: (id: string, webhookId: string) =>
    call<DeliveryLog>(`${site(id)}/webhooks/${encodeURIComponent(webhookId)}/deliveries`),
  alerts: (id: string) => call<AlertSettings & { recent: AlertEvent[] }>(`${site(id)}/alerts`),
  saveAlerts: (id: string, body: AlertSettings) =>
    call<AlertSettings & { recent: AlertEvent[] }>(`${site(id)}/alerts`, 'PUT', body),
  emailReports: (id: string) => call<{ subscriptions: EmailReportSubscription[] }>(`${site(id)}/email-reports`),
  addEmailReport: (id: string, body: NewEmailReport) =>
    call<EmailReportSubscription>(`${site(id)}/email-reports`, 'POST', body),
  removeEmailReport: (id: string, subscriptionId: string) =>
    call<void>(`${site(id)}/email-reports/${encodeURIComponent(subscriptionId)}`, 'DELETE'),
  /** Mails the last complete period's report now (202; not counted as the scheduled send). */
  previewEmailReport: (id: string, subscriptionId: string) =>
    call<void>(`${site(id)}/email-reports/${encodeURIComponent(subscriptionId)}/preview`, 'POST'),
};

/** `#/sites/abc/settings` → a Route; anything unknown is the sites list. The query (`?view=…`) is the report's. */
export function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const token = new URLSearchParams(query).get('token') ?? '';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, id, sub] = parts;
  if (first === 'login') return { name: 'login' };
  if (first === 'signup') return { name: 'signup' };
  if (first === 'account') return { name: 'account' };
  if (first === 'outbox') return { name: 'outbox' };
  if (first === 'forgot-password') return { name: 'forgot-password' };
  if (first === 'reset-password') return { name: 'reset-password', token };
  if (first === 'verify-email') return { name: 'verify-email', token };
  if (first === 'invitation') return { name: 'invitation', token };
  if (first === 'sites' && id)
    return sub === 'settings' ? { name: 'site-settings', siteId: id } : { name: 'report', siteId: id };
  return { name: 'sites' };
}

export function routeHash(route: Route): string {
  switch (route.name) {
    case 'report':
      return `#/sites/${encodeURIComponent(route.siteId)}`;
    case 'site-settings':
      return `#/sites/${encodeURIComponent(route.siteId)}/settings`;
    case 'reset-password':
    case 'verify-email':
    case 'invitation':
      return `#/${route.name}?token=${encodeURIComponent(route.token)}`;
    default:
      return `#/${route.name}`;
  }
}

/**
 * Hosts the tracker stays silent on unless its tag has `data-localhost` (its own test is
 * `/^(localhost|127\.|.::1)/`, backend/tracker/src/clickpath.ts), typed or pasted as a URL.
 */
export const isLocalDomain = (domain: string): boolean =>
  /^(localhost|127\.|\[::1\])/i.test(domain.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, ''));

/** The tag a site owner pastes into their pages; a local site's tag carries `data-localhost`. */
export const trackingSnippet = (origin: string, publicId: string, domain = ''): string =>
  `<script defer src="${origin}/js/clickpath.js" data-site="${publicId}"${isLocalDomain(domain) ? ' data-localhost' : ''}></script>`;
