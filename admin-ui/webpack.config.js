/**
 * Two builds from one source tree:
 * - the wp-admin entries (stats, widget, settings): WordPress packages stay external
 *   (`wp.element`, `wp.components`…) and each gets an `<entry>.asset.php` for wp_enqueue_script;
 * - `dashboard`, the backend's standalone dashboard: React and the WordPress packages
 *   are bundled in, and an `index.html` host page is written beside it.
 *
 * JSX is compiled with the classic runtime (`createElement` from `@wordpress/element`):
 * the automatic runtime makes the asset file list `react-jsx-runtime`, a script handle
 * WordPress < 6.6 does not have, and WordPress then silently drops the whole script.
 */
const fs = require('fs');
const path = require('path');
const defaultConfig = require('@wordpress/scripts/config/webpack.config');

const base = Array.isArray(defaultConfig) ? defaultConfig[0] : defaultConfig;

/** The default rules with the JSX transform switched to the classic runtime (scripts/babel-preset.js). */
const rules = base.module.rules.map((rule) => {
  if (!String(rule.test).includes('sx')) return rule;
  return {
    ...rule,
    use: rule.use.map((use) =>
      String(use.loader).includes('babel-loader')
        ? {
            ...use,
            options: {
              ...use.options,
              babelrc: false,
              configFile: false,
              presets: [require.resolve('./scripts/babel-preset')],
              plugins: [],
            },
          }
        : use,
    ),
  };
});

const named = (name) => (plugin) => plugin && plugin.constructor && plugin.constructor.name === name;
const withoutClean = base.plugins.filter((plugin) => !named('CleanWebpackPlugin')(plugin));

const wpAdmin = {
  ...base,
  name: 'wp-admin',
  entry: {
    stats: './src/stats/index.tsx',
    widget: './src/widget/index.tsx',
    settings: './src/settings/index.tsx',
  },
  output: { ...base.output, path: path.resolve(__dirname, 'build') },
  module: { ...base.module, rules },
  plugins: withoutClean,
};

const FAVICON = path.resolve(__dirname, 'src/dashboard/favicon.svg');

/** Writes the dashboard's host page and its icon; no inline script, so the backend's default CSP (script-src 'self') holds. */
class DashboardHtmlPlugin {
  apply(compiler) {
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap('DashboardHtmlPlugin', (compilation) => {
      compilation.hooks.processAssets.tap(
        { name: 'DashboardHtmlPlugin', stage: Compilation.PROCESS_ASSETS_STAGE_SUMMARIZE },
        () => {
          const version = compilation.hash.slice(0, 12);
          // Every stylesheet of the entry (the components' style.css lands in its own chunk), RTL ones aside.
          const styles = [...compilation.entrypoints.get('dashboard').getFiles()]
            .filter((file) => file.endsWith('.css') && !file.endsWith('-rtl.css'))
            .sort((a, b) => (a.includes('style-') ? -1 : b.includes('style-') ? 1 : 0))
            .map((file) => `<link rel="stylesheet" href="${file}?v=${version}">`)
            .join('\n');
          const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clickpath</title>
<link rel="icon" href="favicon.svg?v=${version}" type="image/svg+xml">
${styles}
</head>
<body>
<div id="clickpath-dashboard"></div>
<noscript>Clickpath's dashboard needs JavaScript.</noscript>
<script defer src="dashboard.js?v=${version}"></script>
</body>
</html>
`;
          compilation.emitAsset('index.html', new sources.RawSource(html));
          // Without an icon of its own the browser asks for /favicon.ico and logs the 404.
          compilation.emitAsset('favicon.svg', new sources.RawSource(fs.readFileSync(FAVICON)));
        },
      );
    });
  }
}

const dashboard = {
  ...base,
  name: 'dashboard',
  // Served once and cached by the browser; it carries React and the WordPress components.
  performance: { hints: false },
  entry: { dashboard: './src/dashboard/index.tsx' },
  output: { ...base.output, path: path.resolve(__dirname, 'build/dashboard') },
  module: { ...base.module, rules },
  plugins: [
    ...withoutClean.filter((plugin) => !named('DependencyExtractionWebpackPlugin')(plugin)),
    new DashboardHtmlPlugin(),
  ],
};

module.exports = [wpAdmin, dashboard];
