import { withQuery } from '../data/query-string';
import { requestJson, type FetchLike } from '../data/standalone';
import type {
  Accepted,
  ApiKeyList,
  ChangePassword,
  CreateApiKey,
  CreateSite,
  CreateWebhook,
  DeleteAccount,
  EmailReportSubscriptionList,
  EmailVerified,
  Erased,
  InvitationLink,
  InvitationList,
  InvitationSignup,
  InvitationSignupDone,
  InviteMember,
  Login,
  LoginTwoFactor,
  MemberList,
  PasswordReset,
  PasswordResetRequest,
  RecoveryCodes,
  RegenerateRecoveryCodes,
  Signup,
  SignupAccepted,
  SiteInvitationList,
  SiteList,
  TransferOwnership,
  TwoFactorConfirm,
  TwoFactorDisable,
  TwoFactorPolicy,
  TwoFactorSetup,
  UpdateMember,
  UpdateProfile,
  UpdateSite,
  VerifyEmail,
  WebhookList,
} from '../data/api.generated';
import type { CreateEmailReportSubscription, EmailReportSubscription } from '../reports-alerts/types';
import type {
  AlertSettings,
  AlertSettingsInput,
  ApiKey,
  ApiKeyWithSecret,
  AuditPage,
  InvitationLinkPreview,
  Me,
  Outbox,
  Profile,
  Role,
  Route,
  Scope,
  SecondFactor,
  Session,
  Site,
  SiteInvitation,
  TwoFactorChallenge,
  TwoFactorSetupStarted,
  TwoFactorStatus,
  WebhookDeliveryAttempt,
  WebhookDeliveryLog,
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
  signup: (body: Signup) => call<SignupAccepted>('/auth/signup', 'POST', body),
  /** Signs in, or, with two-factor sign-in on, answers the challenge for `loginSecondFactor` (no session yet). */
  login: (body: Login) => call<Profile | TwoFactorChallenge>('/auth/login', 'POST', body),
  loginSecondFactor: (challenge: string, factor: SecondFactor) =>
    call<Profile>('/auth/login/two-factor', 'POST', { challenge, ...factor } satisfies LoginTwoFactor),
  logout: () => call<void>('/auth/logout', 'POST'),
  /** Answers alike whether or not an account uses the address. */
  requestPasswordReset: (email: string) =>
    call<Accepted>('/auth/password-reset', 'POST', { email } satisfies PasswordResetRequest),
  resetPassword: (token: string, password: string) =>
    call<void>('/auth/password-reset/confirm', 'POST', { token, password } satisfies PasswordReset),
  verifyEmail: (token: string) => call<EmailVerified>('/auth/verify-email', 'POST', { token } satisfies VerifyEmail),
  resendVerification: () => call<Accepted>('/account/verification', 'POST'),
  outbox: () => call<Outbox>('/admin/outbox'),
  updateProfile: (body: UpdateProfile) => call<Profile>('/account', 'PATCH', body),
  changePassword: (body: ChangePassword) => call<void>('/account/password', 'PUT', body),
  deleteAccount: (password: string) => call<void>('/account', 'DELETE', { password } satisfies DeleteAccount),
  twoFactor: () => call<TwoFactorStatus>('/account/two-factor'),
  startTwoFactorSetup: (password: string) =>
    call<TwoFactorSetupStarted>('/account/two-factor/setup', 'POST', { password } satisfies TwoFactorSetup),
  /** Turns it on; the recovery codes come back this once. */
  confirmTwoFactorSetup: (code: string) =>
    call<RecoveryCodes>('/account/two-factor/confirm', 'POST', { code } satisfies TwoFactorConfirm),
  regenerateRecoveryCodes: (code: string) =>
    call<RecoveryCodes>('/account/two-factor/recovery-codes', 'POST', { code } satisfies RegenerateRecoveryCodes),
  disableTwoFactor: (password: string, factor: SecondFactor) =>
    call<void>('/account/two-factor', 'DELETE', { password, ...factor } satisfies TwoFactorDisable),
  sites: async () => (await call<SiteList>('/sites')).sites,
  createSite: (body: CreateSite) => call<Site>('/sites', 'POST', body),
  updateSite: (id: string, body: UpdateSite) => call<Site>(site(id), 'PATCH', body),
  deleteSite: (id: string) => call<void>(site(id), 'DELETE'),
  /** Erases every visitor the site identified with this user id (first-party mode). */
  erasePerson: (id: string, userId: string) =>
    call<Erased>(`${site(id)}/people/${encodeURIComponent(userId)}`, 'DELETE'),
  /** Where the browser downloads everything stored for the site as one JSON file (the cookie authenticates it). */
  siteExportUrl: (id: string) => `${API}${site(id)}/export/site`,
  members: async (id: string) => (await call<MemberList>(`${site(id)}/members`)).members,
  inviteMember: (id: string, email: string, role: Exclude<Role, 'owner'>) =>
    call<SiteInvitation>(`${site(id)}/members`, 'POST', { email, role } satisfies InviteMember),
  siteInvitations: async (id: string) => (await call<SiteInvitationList>(`${site(id)}/invitations`)).invitations,
  resendInvitation: (id: string, invitationId: string) =>
    call<SiteInvitation>(`${site(id)}/invitations/${encodeURIComponent(invitationId)}/resend`, 'POST'),
  /** What the invitation behind a mailed link offers. */
  invitationLink: (token: string) =>
    call<InvitationLinkPreview>('/invitations/link', 'POST', { token } satisfies InvitationLink),
  acceptInvitationLink: (token: string) =>
    call<Site>('/invitations/link/accept', 'POST', { token } satisfies InvitationLink),
  declineInvitationLink: (token: string) =>
    call<void>('/invitations/link/decline', 'POST', { token } satisfies InvitationLink),
  /** Creates a confirmed account with the invited address and joins the site; log in next. */
  signUpWithInvitationLink: (body: InvitationSignup) =>
    call<InvitationSignupDone>('/invitations/link/signup', 'POST', body),
  revokeInvitation: (id: string, invitationId: string) =>
    call<void>(`${site(id)}/invitations/${encodeURIComponent(invitationId)}`, 'DELETE'),
  myInvitations: async () => (await call<InvitationList>('/invitations')).invitations,
  acceptInvitation: (invitationId: string) =>
    call<Site>(`/invitations/${encodeURIComponent(invitationId)}/accept`, 'POST'),
  declineInvitation: (invitationId: string) =>
    call<void>(`/invitations/${encodeURIComponent(invitationId)}/decline`, 'POST'),
  setTwoFactorPolicy: (id: string, required: boolean) =>
    call<Site>(`${site(id)}/two-factor-policy`, 'PUT', { required } satisfies TwoFactorPolicy),
  /** Hands the site to a member; you become an admin. */
  transferOwnership: (id: string, accountId: string) =>
    call<Site>(`${site(id)}/owner`, 'POST', { accountId } satisfies TransferOwnership),
  setMemberRole: (id: string, accountId: string, role: Exclude<Role, 'owner'>) =>
    call<void>(`${site(id)}/members/${encodeURIComponent(accountId)}`, 'PATCH', { role } satisfies UpdateMember),
  removeMember: (id: string, accountId: string) =>
    call<void>(`${site(id)}/members/${encodeURIComponent(accountId)}`, 'DELETE'),
  keys: async (id: string) => (await call<ApiKeyList>(`${site(id)}/keys`)).keys,
  createKey: (id: string, name: string, scopes: Scope[]) =>
    call<ApiKeyWithSecret>(`${site(id)}/keys`, 'POST', { name, scopes } satisfies CreateApiKey),
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
  webhooks: async (id: string) => (await call<WebhookList>(`${site(id)}/webhooks`)).webhooks,
  /** The signing secret comes back this once. */
  createWebhook: (id: string, body: CreateWebhook) => call<WebhookWithSecret>(`${site(id)}/webhooks`, 'POST', body),
  deleteWebhook: (id: string, webhookId: string) =>
    call<void>(`${site(id)}/webhooks/${encodeURIComponent(webhookId)}`, 'DELETE'),
  /** Sends a webhook.test event now and answers what the receiver said. */
  testWebhook: (id: string, webhookId: string) =>
    call<WebhookDeliveryAttempt>(`${site(id)}/webhooks/${encodeURIComponent(webhookId)}/test`, 'POST'),
  webhookDeliveries: (id: string, webhookId: string) =>
    call<WebhookDeliveryLog>(`${site(id)}/webhooks/${encodeURIComponent(webhookId)}/deliveries`),
  alerts: (id: string) => call<AlertSettings>(`${site(id)}/alerts`),
  saveAlerts: (id: string, body: AlertSettingsInput) => call<AlertSettings>(`${site(id)}/alerts`, 'PUT', body),
  emailReports: (id: string) => call<EmailReportSubscriptionList>(`${site(id)}/email-reports`),
  addEmailReport: (id: string, body: CreateEmailReportSubscription) =>
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
