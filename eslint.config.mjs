import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

import noObjectMap from './scripts/eslint/no-object-map.cjs';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/build/**',
      '.tools/**',
      '.cache/**',
      'data/**',
      'plugin/assets/**',
      'test-artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-control-regex': 'off',
    },
  },
  {
    // Backend code never keys a plain object by computed values (visitor data above all).
    files: ['backend/src/**/*.ts'],
    ignores: ['backend/src/**/*.test.ts'],
    plugins: { clickpath: { rules: { 'no-object-map': noObjectMap } } },
    rules: { 'clickpath/no-object-map': 'error' },
  },
  {
    // Browser tests hand callbacks to page.evaluate(), which run in the page.
    files: ['plugin/tests/e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    // The tracker is written for its gzipped size: short-circuit expressions and
    // empty catch blocks (it must never throw into the page) are deliberate.
    files: ['backend/tracker/src/**/*.ts'],
    languageOptions: { globals: globals.browser },
    rules: { '@typescript-eslint/no-unused-expressions': 'off', 'no-empty': 'off' },
  },
  {
    // admin-ui compiles JSX with the classic runtime (WordPress 6.1 has no react-jsx-runtime).
    files: ['admin-ui/**/*.{ts,tsx}'],
    languageOptions: {
      globals: { ...globals.browser, ...globals.jest },
      parserOptions: { jsxPragma: 'createElement', jsxFragmentName: 'Fragment' },
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
