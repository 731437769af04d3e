export type Role = 'owner' | 'admin' | 'viewer';
export type Scope = 'stats:read' | 'sites:manage' | 'events:write';

export interface Profile {
  id: string;
  email: string;
  name: string;
  /** Whether the address was confirmed by a mailed link (docs/email.md). */
  emailVerified: boolean;
  /** A new address waiting for its confirmation link; `email` applies until then. */
  pendingEmail: string | null;
  /** Whether signing in asks for a code after the password (absent from fixtures: off). */
  twoFactorEnabled?: boolean;
  createdAt: string;
}

/** The password step's answer when the account has two-factor sign-in on: no session yet. */
export interface TwoFactorChallenge {
  status: 'two_factor_required';
  /** Sent back with the code; works once, for 5 minutes. */
  challenge: string;
  expiresAt: string;
}

/** The second factor a person offers: a code from their app, or one of their recovery codes. */
export type SecondFactor = { code: string } | { recoveryCode: string };

export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: string | null;
  recoveryCodesLeft: number;
}

/** A secret waiting for its first code (15 minutes), to add to an authenticator app. */
export interface TwoFactorSetup {
  secret: string;
  /** The otpauth:// URI the QR code holds. */
  uri: string;
  /** The QR code as a data: URL (SVG). */
  qrCode: string;
  expiresAt: string;
}

/** A message the instance kept instead of sending (no SMTP_URL). */
export interface OutboxMessage {
  id: string;
  to: string;
  subject: string;
  kind: string;
  text: string;
  html: string;
  createdAt: string;
}

/** A site's collection options (backend/src/sites/schemas.ts `SiteSettings`). */
export interface SiteSettings {
  identityMode: 'cookieless' | 'first-party';
  /** Do Not Track and Global Privacy Control. */
  honorDoNotTrack: boolean;
  visitTimeoutMinutes: number;
  rawEventRetentionDays: number;
  /** Addresses and CIDR ranges whose hits are dropped. */
  excludedIps: string[];
  trackOutbound: boolean;
  trackDownloads: boolean;
  trackEngagement: boolean;
}

export interface Site {
  id: string;
  name: string;
  domain: string;
  timezone: string;
  publicId: string;
  role: Role;
  settings: SiteSettings;
  /** Whether every member must sign in with a second factor to open the site (absent: no). */
  requireTwoFactor?: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Member {
  accountId: string;
  email: string;
  name: string;
  role: Role;
  since: string;
  twoFactorEnabled?: boolean;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  /** Who created the key (null once their account is gone); the key acts with their current role at most. */
  createdBy: { id: string; name: string; email: string } | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  rotatedFrom: string | null;
}

/** Someone who sent an invitation, as the invitation names them. */
export interface Inviter {
  name: string;
  email: string;
}

/** A pending invitation as the site sees it. */
export interface SiteInvitation {
  id: string;
  email: string;
  role: Exclude<Role, 'owner'>;
  invitedBy: Inviter | null;
  createdAt: string;
  expiresAt: string;
}

/** A pending invitation as the invited person sees it. */
export interface Invitation {
  id: string;
  site: { id: string; name: string; domain: string };
  role: Exclude<Role, 'owner'>;
  invitedBy: Inviter | null;
  createdAt: string;
  expiresAt: string;
}

/** The invitation behind a mailed link, as the page it opens shows it. */
export interface InvitationLink {
  email: string;
  site: { name: string; domain: string };
  role: Exclude<Role, 'owner'>;
  invitedBy: Inviter | null;
  expiresAt: string;
  /** Whether an account uses the invited address. */
  hasAccount: boolean;
}

/** Who did something on a site, as the audit log names them at the time: never an IP address. */
export type AuditActor =
  | { type: 'account'; id: string; email: string }
  | { type: 'key'; id: string; name: string; prefix: string; createdBy: string };

/** One entry of a site's audit log (backend/src/audit/model.ts lists the actions). */
export interface AuditEntry {
  id: string;
  at: string;
  action: string;
  actor: AuditActor;
  details: Record<string, unknown>;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass back for the older entries; null when there are none. */
  nextCursor: string | null;
  retentionDays: number;
}

export interface ApiKeyWithSecret extends ApiKey {
  secret: string;
}

/** What a webhook can subscribe to (backend/src/webhooks/model.ts). */
export type WebhookEvent = 'alert.traffic_spike' | 'alert.traffic_drop' | 'summary.weekly' | 'goal.conversion';

export interface Webhook {
  id: string;
  url: string;
  description: string;
  events: WebhookEvent[];
  /** The signing secret's first characters, to tell secrets apart. */
  secretHint: string;
  createdAt: string;
}

export interface WebhookWithSecret extends Webhook {
  /** Shown once, at creation. */
  secret: string;
}

/** One attempt to deliver an event, as the webhook's log keeps it. */
export interface DeliveryAttempt {
  id: string;
  deliveryId: string;
  event: string;
  attempt: number;
  at: string;
  /** The receiver's status; null when no answer came. */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  outcome: 'delivered' | 'retrying' | 'failed' | 'dropped';
  nextAttemptAt: string | null;
  response: string;
}

export interface DeliveryLog {
  /** Newest first, the last 100. */
  attempts: DeliveryAttempt[];
  /** Deliveries waiting for their next attempt. */
  pending: Array<{ deliveryId: string; event: string; attempts: number; nextAttemptAt: string }>;
}

/** A site's traffic alerts (backend/src/alerts/schemas.ts). */
export interface AlertSettings {
  spike: { enabled: boolean; threshold: number };
  drop: { enabled: boolean; percent: number };
  email: boolean;
  /** Account ids of members to mail; empty: the owner and the admins. */
  recipients: string[];
}

/** An alert that fired: a spike's hour or a drop's day, with the numbers it was sent with. */
export interface AlertEvent {
  kind: 'spike' | 'drop';
  period: string;
  at: string;
  data: Record<string, unknown>;
}

export type Me =
  | {
      type: 'session';
      account: Profile;
      sites: Site[];
      /** Whether this person operates the instance and may read its outbox. */
      operator?: boolean;
    }
  | { type: 'apiKey'; site: Site };

/** Who is signed in to this browser; `anonymous` instead of a 401 before anyone logs in. */
export type Session = Extract<Me, { type: 'session' }> | { type: 'anonymous' };

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
