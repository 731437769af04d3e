/**
 * The unit layer alone (`npm run test:unit`): `*.unit.test.ts` files test pure code, so no
 * database, no tracker build and no site audit. `npm test` (jest.config.js) runs them too.
 */
const base = require('./jest.config');

module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  transformIgnorePatterns: base.transformIgnorePatterns,
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.unit.test.ts'],
  setupFiles: ['<rootDir>/test/support/no-database.ts'],
};
