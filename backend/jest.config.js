/** Backend tests: swc for speed (types are checked by `tsc --noEmit`), one real database for the run. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  // otplib 13 loads @noble/hashes and @scure/base, which ship ES modules only; node_modules nested in
  // another package's folder count by their own name.
  transformIgnorePatterns: ['/node_modules/(?!.*/node_modules/)(?!(@noble|@scure)/)'],
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/site-audit-setup.ts'],
  maxWorkers: 2,
  testTimeout: 30_000,
};
