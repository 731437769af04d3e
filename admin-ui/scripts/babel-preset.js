/**
 * @wordpress/babel-preset-default with JSX compiled by the classic runtime
 * (`createElement` from `@wordpress/element`); see webpack.config.js for why.
 * Its TypeScript preset is told the pragma too, or it drops `createElement`
 * imports as unused before the JSX transform runs.
 */
const wpPreset = require('@wordpress/babel-preset-default');

const PRAGMA = { pragma: 'createElement', pragmaFrag: 'Fragment' };
const name = (entry) => String(Array.isArray(entry) ? entry[0] : entry);

module.exports = (api, options) => {
  const config = wpPreset(api, options);
  return {
    ...config,
    presets: config.presets.map((preset) =>
      name(preset).includes('preset-typescript')
        ? [name(preset), { jsxPragma: PRAGMA.pragma, jsxPragmaFrag: PRAGMA.pragmaFrag }]
        : preset,
    ),
    plugins: config.plugins.map((plugin) =>
      name(plugin).includes('plugin-transform-react-jsx') ? [name(plugin), { runtime: 'classic', ...PRAGMA }] : plugin,
    ),
  };
};
