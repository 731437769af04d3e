/** `window.clickpathAdmin.initialState` on the WordPress dashboard. */
export interface WidgetInitialState {
  /** admin.php?page=clickpath */
  statsUrl?: string;
}
