/** `window.clickpathAdmin.initialState` on the stats page. */
export interface StatsInitialState {
  /** The tracker hint shown when there is no data. */
  snippetHint?: string;
  settingsUrl?: string;
  /** The connected site's IANA time zone ('' before the plugin learnt it). */
  timezone?: string;
}
