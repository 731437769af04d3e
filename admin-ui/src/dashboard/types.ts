export type Role = 'owner' | 'admin' | 'viewer';
export type Scope = 'stats:read' | 'sites:manage' | 'events:write';

export interface Profile {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

export interface Site {
  id: string;
  name: string;
  domain: string;
  timezone: string;
  publicId: string;
  role: Role;
  settings: {
    identityMode: 'cookieless' | 'first-party';
    honorDoNotTrack: boolean;
    visitTimeoutMinutes: number;
    rawEventRetentionDays: number;
    excludedIps: string[];
  };
  createdAt: string;
  updatedAt: string;
}

export interface Member {
  accountId: string;
  email: string;
  name: string;
  role: Role;
  since: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  rotatedFrom: string | null;
}

export interface ApiKeyWithSecret extends ApiKey {
  secret: string;
}

export type Me = { type: 'session'; account: Profile; sites: Site[] } | { type: 'apiKey'; site: Site };

/** Who is signed in to this browser; `anonymous` instead of a 401 before anyone logs in. */
export type Session = Extract<Me, { type: 'session' }> | { type: 'anonymous' };

export type Route =
  | { name: 'login' }
  | { name: 'signup' }
  | { name: 'sites' }
  | { name: 'report'; siteId: string }
  | { name: 'site-settings'; siteId: string }
  | { name: 'account' };
