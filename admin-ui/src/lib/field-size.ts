/**
 * The 40 px field size for TextControl and SelectControl, where the host's components know the
 * prop. In wp-admin the panels run on WordPress's own `wp.components`: before 6.5 TextControl hands
 * unknown props on to its <input>, and React's development build (SCRIPT_DEBUG) warns "React does
 * not recognize the `__next40pxDefaultSize` prop". Newer WordPress asks for it (it warns without
 * it), and the dashboard's own copy of the components uses 40 px anyway.
 */
export function fieldSize(): { __next40pxDefaultSize?: true } {
  const version = /^(\d+)\.(\d+)/.exec(window.clickpathAdmin?.wpVersion ?? '');
  if (version && Number(version[1]) * 100 + Number(version[2]) < 605) return {};
  return { __next40pxDefaultSize: true };
}
