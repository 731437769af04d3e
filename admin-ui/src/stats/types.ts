/** `window.clickpathAdmin.initialState` on the stats page. */
export interface StatsInitialState {
  /** The tracker hint shown when there is no data. */
  snippetHint?: string;
  settingsUrl?: string;
}
