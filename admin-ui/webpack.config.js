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
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
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
// wp-scripts' own copy, so the dashboard's hashed stylesheets use the same version.
const MiniCssExtractPlugin = base.plugins.find(named('MiniCssExtractPlugin')).constructor;

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

const HASH = 12;

/**
 * Writes the dashboard's host page and its icon; no inline script, so the backend's default
 * CSP (script-src 'self') holds. Every file it links carries a content hash in its name, so
 * the backend can cache them for a year as immutable; only index.html is revalidated.
 */
class DashboardHtmlPlugin {
  apply(compiler) {
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap('DashboardHtmlPlugin', (compilation) => {
      compilation.hooks.processAssets.tap(
        { name: 'DashboardHtmlPlugin', stage: Compilation.PROCESS_ASSETS_STAGE_SUMMARIZE },
        () => {
          const files = [...compilation.entrypoints.get('dashboard').getFiles()];
          // Every stylesheet of the entry (the components' style.css lands in its own chunk).
          const styles = files
            .filter((file) => file.endsWith('.css'))
            .sort((a, b) => (a.includes('style-') ? -1 : b.includes('style-') ? 1 : 0))
            .map((file) => `<link rel="stylesheet" href="${file}">`)
            .join('\n');
          const scripts = files
            .filter((file) => file.endsWith('.js'))
            .map((file) => `<script defer src="${file}"></script>`)
            .join('\n');
          const icon = fs.readFileSync(FAVICON);
          const iconName = `favicon.${crypto.createHash('sha256').update(icon).digest('hex').slice(0, HASH)}.svg`;
          const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Clickpath</title>
<link rel="icon" href="${iconName}" type="image/svg+xml">
${styles}
</head>
<body>
<div id="clickpath-dashboard"></div>
<noscript>Clickpath's dashboard needs JavaScript.</noscript>
${scripts}
</body>
</html>
`;
          compilation.emitAsset('index.html', new sources.RawSource(html));
          // Without an icon of its own the browser asks for /favicon.ico and logs the 404.
          compilation.emitAsset(iconName, new sources.RawSource(icon));
        },
      );
    });
  }
}

/**
 * Writes `x.br` (brotli at its highest quality) and `x.gz` (gzip -9) beside every text asset of
 * 1 KiB or more, in production builds: the backend sends them as they are, so no request pays for
 * compression and the bundle gets the best ratio (a development rebuild skips the seconds it costs).
 */
class PrecompressPlugin {
  apply(compiler) {
    if (compiler.options.mode !== 'production') return;
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap('PrecompressPlugin', (compilation) => {
      compilation.hooks.processAssets.tap(
        { name: 'PrecompressPlugin', stage: Compilation.PROCESS_ASSETS_STAGE_REPORT },
        () => {
          for (const asset of compilation.getAssets()) {
            if (!/\.(js|css|html|svg|json)$/.test(asset.name)) continue;
            const body = asset.source.buffer();
            if (body.length < 1024) continue;
            const br = zlib.brotliCompressSync(body, {
              params: {
                [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
                [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
                [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
              },
            });
            compilation.emitAsset(`${asset.name}.br`, new sources.RawSource(br));
            compilation.emitAsset(`${asset.name}.gz`, new sources.RawSource(zlib.gzipSync(body, { level: 9 })));
          }
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
  output: {
    ...base.output,
    path: path.resolve(__dirname, 'build/dashboard'),
    filename: `[name].[contenthash:${HASH}].js`,
    chunkFilename: `[name].[contenthash:${HASH}].js`,
  },
  module: { ...base.module, rules },
  plugins: [
    // The dashboard is left-to-right only, so it needs no RTL stylesheets.
    ...withoutClean.filter(
      (plugin) =>
        !named('DependencyExtractionWebpackPlugin')(plugin) &&
        !named('MiniCssExtractPlugin')(plugin) &&
        !named('RtlCssPlugin')(plugin),
    ),
    new MiniCssExtractPlugin({ filename: `[name].[contenthash:${HASH}].css` }),
    new DashboardHtmlPlugin(),
    new PrecompressPlugin(),
  ],
};

module.exports = [wpAdmin, dashboard];
