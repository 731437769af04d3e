/** The plugin's settings as `GET clickpath/v1/settings` returns them (the API key itself never comes back). */
export interface PluginSettings extends CollectionSettings {
  backendUrl: string;
  /** On multisite, for a site administrator: only a network administrator chooses the server, so the field is read-only. */
  backendUrlLocked: boolean;
  connected: boolean;
  site: { id: string; name: string; domain: string } | null;
  /** A stored key, shown only as a mask; `fromConstant` when wp-config.php sets it. */
  key: { mask: string; fromConstant: boolean } | null;
  scopes: string[];
  /** Things the administrator should fix, e.g. a domain that does not match this site. */
  warnings: string[];
}

/** What `POST clickpath/v1/settings` accepts. */
export interface CollectionSettings {
  identityMode: 'cookieless' | 'first-party';
  excludedRoles: string[];
  statsRoles: string[];
  trackerSource: 'plugin' | 'backend';
  track404: boolean;
  identifyUsers: boolean;
  autoAnnotations: boolean;
  honorDoNotTrack: boolean;
  trackOutbound: boolean;
  trackDownloads: boolean;
  trackEngagement: boolean;
  /** First-party relay: the tracker posts to this site, which forwards to the server. */
  relay: boolean;
  retentionDays: number;
}

export interface SettingsInitialState {
  /** Role slug → label, for "do not track these roles" and "who sees the stats". */
  roles?: Record<string, string>;
  settings?: PluginSettings;
  /** The signed-in administrator's address: a new email report goes there unless changed. */
  userEmail?: string;
  /** The Clickpath site's time zone (read by Connect), for when alerts fired and reports went out. */
  timezone?: string;
}

/** What `GET clickpath/v1/self-test` answers: the tag WordPress prints, and whether the stored key works. */
export interface SelfTestSetup {
  /** The front page (`home_url('/')`). */
  frontPage: string;
  /** The site's public id, the tag's `data-site`. */
  site: string;
  /** The tracker script WordPress links (without its `ver` query). */
  src: string;
  /** The connected server's collector. */
  api: string;
  trackerSource: 'plugin' | 'backend';
  honorDoNotTrack: boolean;
  trackEngagement: boolean;
  /** The stored key checked with the server (`GET /me`); the plugin's error code and message when it failed. */
  connection: { ok: true } | { ok: false; code: string; message: string };
}

export type SelfTestCheckId = 'connection' | 'tag' | 'script' | 'event' | 'realtime';

export type SelfTestStatus = 'waiting' | 'running' | 'pass' | 'warn' | 'fail' | 'skip';

/** One check of the self-test as the settings screen shows it: what was found and, when it failed, how to fix it. */
export interface SelfTestCheck {
  id: SelfTestCheckId;
  status: SelfTestStatus;
  message: string;
  fix?: string;
}
