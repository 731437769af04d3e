/** The plugin's settings as `GET clickpath/v1/settings` returns them (the API key itself never comes back). */
export interface PluginSettings {
  backendUrl: string;
  /** True when an API key is stored; the key is write-only. */
  hasApiKey: boolean;
  connected: boolean;
  site: { name: string; domain: string } | null;
  identityMode: 'cookieless' | 'first-party';
  excludedRoles: string[];
  trackOutbound: boolean;
  trackDownloads: boolean;
  track404: boolean;
  trackEngagement: boolean;
  honorDoNotTrack: boolean;
  honorGpc: boolean;
  retentionDays: number;
}

/** What `POST clickpath/v1/settings` accepts: everything above but the read-only fields, plus a new key. */
export type SettingsUpdate = Omit<PluginSettings, 'hasApiKey' | 'connected' | 'site'> & { apiKey?: string };

/** `POST clickpath/v1/connect` answer. */
export interface ConnectResult {
  connected: boolean;
  site: { name: string; domain: string } | null;
  message?: string;
}

export interface SettingsInitialState {
  /** Role slug → label, for "do not track these roles". */
  roles?: Record<string, string>;
  settings?: PluginSettings;
}
