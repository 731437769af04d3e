declare module '*.scss';
declare module '*.css';

/** What the plugin's admin pages print before the bundle (`wp_add_inline_script(…, 'before')`). */
interface ClickpathAdminGlobal {
  rest: { root: string; nonce: string };
  initialState?: Record<string, unknown>;
  /** WordPress's version: its components differ (see lib/field-size.ts). */
  wpVersion?: string;
}

interface Window {
  clickpathAdmin?: ClickpathAdminGlobal;
}
