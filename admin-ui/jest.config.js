const defaults = require('@wordpress/scripts/config/jest-unit.config');

// uuid and @wordpress/theme ship ES modules only; let babel-jest transform them.
const esmOnly = ['uuid', '@wordpress/theme', 'uplot'].join('|');

module.exports = {
  ...defaults,
  rootDir: __dirname,
  roots: ['<rootDir>/src'],
  transform: {
    ...defaults.transform,
    // @wordpress/theme ships its ES modules as .mjs, which the default pattern skips.
    '\\.mjs$': Object.values(defaults.transform ?? {})[0] ?? require.resolve('babel-jest'),
  },
  setupFilesAfterEnv: [...(defaults.setupFilesAfterEnv ?? []), '<rootDir>/src/testing/setup.ts'],
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly})/)`],
};
