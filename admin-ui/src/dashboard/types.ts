import type { ApiKey, LoginTwoFactor, Site, SiteInvitation, Webhook } from '../data/api.generated';

/** The backend's account, site, member and key types, generated from its OpenAPI document (`npm run contract`). */
export type {
  AlertEvent,
  AlertSettings,
  AlertSettingsInput,
  ApiKey,
  ApiKeyWithSecret,
  AuditActor,
  AuditEntry,
  AuditPage,
  Invitation,
  InvitationLinkPreview,
  Me,
  Member,
  Outbox,
  Profile,
  Session,
  Site,
  SiteInvitation,
  SiteSettings,
  TwoFactorChallenge,
  TwoFactorSetupStarted,
  TwoFactorStatus,
  Webhook,
  WebhookDeliveryAttempt,
  WebhookDeliveryLog,
  WebhookWithSecret,
} from '../data/api.generated';

export type Role = Site['role'];
export type Scope = ApiKey['scopes'][number];
/** What a webhook can subscribe to. */
export type WebhookEvent = Webhook['events'][number];
/** Someone who sent an invitation, as the invitation names them. */
export type Inviter = NonNullable<SiteInvitation['invitedBy']>;

/** The second factor a person offers: a code from their app, or one of their recovery codes (never both). */
export type SecondFactor = Required<Pick<LoginTwoFactor, 'code'>> | Required<Pick<LoginTwoFactor, 'recoveryCode'>>;

export type Route =
  | { name: 'login' }
  | { name: 'signup' }
  | { name: 'sites' }
  | { name: 'report'; siteId: string }
  | { name: 'site-settings'; siteId: string }
  | { name: 'account' }
  | { name: 'outbox' }
  | { name: 'forgot-password' }
  | { name: 'reset-password'; token: string }
  | { name: 'verify-email'; token: string }
  | { name: 'invitation'; token: string };
