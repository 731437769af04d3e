declare module '*.scss';
declare module '*.css';

/** What the plugin's admin pages print before the bundle (`wp_add_inline_script(…, 'before')`). */
interface ClickpathAdminGlobal {
  rest: { root: string; nonce: string };
  initialState?: Record<string, unknown>;
}

interface Window {
  clickpathAdmin?: ClickpathAdminGlobal;
}
