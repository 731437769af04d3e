import { join } from 'node:path';

import {
  checkImports,
  isStore,
  parseTree,
  unusedAllowances,
  type Allowance,
  type ModuleInfo,
} from './support/import-rules';

/**
 * Issue 16's import rules (docs/architecture.md, "Who may import what"), checked over the
 * real source tree. Each exception is listed with its reason, and an exception whose
 * import is gone fails the test until it is removed from the list.
 */
const ALLOWED: readonly Allowance[] = [];

const tree = parseTree(join(__dirname, '..', 'src'));

describe('import rules over backend/src', () => {
  test('when the tree is checked, then no module breaks a rule beyond the listed exceptions', () => {
    const broken = checkImports(tree, ALLOWED).map((v) => `${v.rule}: ${v.from}:${v.line} imports ${v.target}`);
    expect(broken).toEqual([]);
  });

  test('when an exception no longer matches an import, then it must leave the list', () => {
    expect(unusedAllowances(tree, ALLOWED)).toEqual([]);
  });

  test('when the tree is parsed, then the stores are found by name and by the collections they declare', () => {
    const stores = tree.filter(isStore).map((m) => m.path);
    expect(stores).toEqual(expect.arrayContaining(['sites/model.ts', 'aggregate/history.ts', 'aggregate/inbox.ts']));
    expect(stores).not.toEqual(expect.arrayContaining(['aggregate/read.ts']));
    expect(stores).not.toEqual(expect.arrayContaining(['sites/service.ts']));
  });
});

const mod = (path: string, targets: string[], declaresCollection = false): ModuleInfo => ({
  path,
  declaresCollection,
  imports: targets.map((target, i) => ({ target, line: i + 1 })),
});

describe('the rules on a synthetic tree', () => {
  const stores = [
    mod('sites/model.ts', ['mongoose']),
    mod('accounts/two-factor-model.ts', ['mongoose']),
    mod('aggregate/history.ts', ['mongoose'], true),
    mod('aggregate/read.ts', ['aggregate/history.ts']),
    mod('sites/service.ts', ['sites/model.ts']),
  ];
  const check = (...modules: ModuleInfo[]) => checkImports([...stores, ...modules]).map((v) => [v.from, v.rule]);

  test.each([
    ['reports/x.ts', ['sites/model.ts']],
    ['reports/x.ts', ['accounts/two-factor-model.ts']],
    ['reports/x.ts', ['aggregate/history.ts']],
  ])('when %s imports another domain’s store %j, then it is reported', (from, targets) => {
    expect(check(mod(from, targets))).toEqual([[from, 'domain-imports-store']]);
  });

  test('when a domain imports another domain’s service or read module, or its own model, then nothing is reported', () => {
    expect(
      check(
        mod('reports/x.ts', ['aggregate/read.ts', 'sites/service.ts', 'lib/errors.ts', 'luxon']),
        mod('sites/other.ts', ['sites/model.ts']),
      ),
    ).toEqual([]);
  });

  test('when lib imports a domain or a migration, then it is reported', () => {
    expect(check(mod('lib/db.ts', ['migrations/index.ts', 'lib/errors.ts', 'sites/service.ts']))).toEqual([
      ['lib/db.ts', 'lib-imports-domain'],
      ['lib/db.ts', 'lib-imports-domain'],
    ]);
  });

  test('when a migration imports domain code, then it is reported; lib and other migrations are fine', () => {
    expect(check(mod('migrations/m.ts', ['aggregate/hll.ts', 'lib/db-errors.ts', 'migrations/index.ts']))).toEqual([
      ['migrations/m.ts', 'migration-imports-domain'],
    ]);
  });

  test('when a service imports express, then it is reported; routes, access and lib may', () => {
    expect(
      check(
        mod('reports/export.ts', ['express']),
        mod('reports/routes.ts', ['express']),
        mod('accounts/two-factor-routes.ts', ['express']),
        mod('access/auth.ts', ['express']),
        mod('lib/http.ts', ['express']),
      ),
    ).toEqual([['reports/export.ts', 'service-imports-express']]);
  });

  test('when the composition root imports anything, then nothing is reported', () => {
    expect(check(mod('server.ts', ['migrations/index.ts', 'aggregate/history.ts', 'express']))).toEqual([]);
  });

  test('when an exception names the import, then it is not reported, and an exception for nothing is found', () => {
    const modules = [...stores, mod('reports/x.ts', ['sites/model.ts'])];
    const allowed = [
      { from: 'reports/x.ts', target: 'sites/model.ts', reason: 'test' },
      { from: 'reports/y.ts', target: 'sites/model.ts', reason: 'stale' },
    ];
    expect(checkImports(modules, allowed)).toEqual([]);
    expect(unusedAllowances(modules, allowed).map((a) => a.from)).toEqual(['reports/y.ts']);
  });
});
