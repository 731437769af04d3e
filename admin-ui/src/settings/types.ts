/** The plugin's settings as `GET clickpath/v1/settings` returns them (the API key itself never comes back). */
export interface PluginSettings extends CollectionSettings {
  backendUrl: string;
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
  retentionDays: number;
}

export interface SettingsInitialState {
  /** Role slug → label, for "do not track these roles" and "who sees the stats". */
  roles?: Record<string, string>;
  settings?: PluginSettings;
}
