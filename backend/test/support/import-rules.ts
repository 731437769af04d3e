import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

import ts from 'typescript';

/**
 * The import rules of docs/architecture.md ("Who may import what"), over backend/src:
 *
 * - `app.ts` and `server.ts` wire everything together and may import anything.
 * - `lib/` imports only `lib/` (and packages): no domain.
 * - `migrations/` imports only `migrations/` and `lib/`: a migration is a snapshot, not live domain code.
 * - A domain (any other folder) may import another domain's modules except its stores: `model.ts`,
 *   `*-model.ts`, and any module that declares a collection (calls mongoose `model(…)` or `.collection(…)`).
 *   Type-only imports count: a model's types are the model.
 * - In a domain, only route modules (`routes.ts`, `*-routes.ts`) and `access/` (authentication is
 *   HTTP's business) import `express`; services never do.
 *
 * Test files are not checked: a test may set up and inspect any domain's data.
 */

export interface ImportRef {
  /** A path relative to backend/src (`reports/service.ts`), or a package name (`express`). */
  target: string;
  line: number;
}

export interface ModuleInfo {
  /** Relative to backend/src, with forward slashes. */
  path: string;
  /** True when the module declares a collection: a mongoose `model(…)` or `.collection(…)` call. */
  declaresCollection: boolean;
  imports: ImportRef[];
}

export interface Violation {
  from: string;
  target: string;
  line: number;
  rule: 'lib-imports-domain' | 'migration-imports-domain' | 'domain-imports-store' | 'service-imports-express';
}

/** A known exception: who may still import what, and why. */
export interface Allowance {
  from: string;
  target: string;
  reason: string;
}

const isRelativeSource = (target: string) => target.endsWith('.ts');
const topFolder = (path: string): string | null => (path.includes('/') ? path.slice(0, path.indexOf('/')) : null);
const baseName = (path: string) => posix.basename(path, '.ts');

/** A domain's store: its models and the modules that declare its collections. */
export function isStore(module: Pick<ModuleInfo, 'path' | 'declaresCollection'>): boolean {
  const name = baseName(module.path);
  return name === 'model' || name.endsWith('-model') || module.declaresCollection;
}

const isRouteModule = (path: string) => baseName(path) === 'routes' || baseName(path).endsWith('-routes');

/** Every import in `modules` that breaks a rule, less those `allowed`. */
export function checkImports(modules: readonly ModuleInfo[], allowed: readonly Allowance[] = []): Violation[] {
  const byPath = new Map(modules.map((m) => [m.path, m]));
  const violations: Violation[] = [];
  for (const module of modules) {
    const layer = topFolder(module.path);
    if (layer === null) continue; // app.ts, server.ts: the composition root
    for (const ref of module.imports) {
      const add = (rule: Violation['rule']) => {
        if (!allowed.some((a) => a.from === module.path && a.target === ref.target))
          violations.push({ from: module.path, target: ref.target, line: ref.line, rule });
      };
      if (!isRelativeSource(ref.target)) {
        const isExpress = ref.target === 'express' || ref.target.startsWith('express/');
        if (isExpress && layer !== 'lib' && layer !== 'access' && !isRouteModule(module.path))
          add('service-imports-express');
        continue;
      }
      const targetLayer = topFolder(ref.target);
      if (targetLayer === layer || targetLayer === 'lib') continue;
      if (layer === 'lib') add('lib-imports-domain');
      else if (layer === 'migrations') add('migration-imports-domain');
      else if (targetLayer !== 'migrations' && targetLayer !== null) {
        const target = byPath.get(ref.target);
        if (isStore({ path: ref.target, declaresCollection: target?.declaresCollection ?? false }))
          add('domain-imports-store');
      }
    }
  }
  return violations;
}

/** Allowances that no longer match an import: each must be removed once its import is gone. */
export function unusedAllowances(modules: readonly ModuleInfo[], allowed: readonly Allowance[]): Allowance[] {
  return allowed.filter((a) => !modules.some((m) => m.path === a.from && m.imports.some((i) => i.target === a.target)));
}

/** A relative specifier as a path under `srcRoot` (its `.ts` file or folder `index.ts`); a package's name as it is. */
function resolve(fromFile: string, specifier: string, srcRoot: string): string {
  if (!specifier.startsWith('.')) return specifier;
  const base = join(dirname(fromFile), specifier);
  const file = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate)) ?? base;
  return relative(srcRoot, file).split('\\').join('/');
}

/** Parses one module: its imports, re-exports, `import()` and `require()` calls, and whether it declares a collection. */
export function parseModule(file: string, srcRoot: string): ModuleInfo {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const imports: ImportRef[] = [];
  let declaresCollection = false;
  const add = (specifier: ts.Expression, node: ts.Node) => {
    if (!ts.isStringLiteral(specifier)) return;
    imports.push({
      target: resolve(file, specifier.text, srcRoot),
      line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1,
    });
  };
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier)
      add(node.moduleSpecifier, node);
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const [first] = node.arguments;
      if (
        first &&
        (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require'))
      )
        add(first, node);
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : '';
      if ((name === 'model' || name === 'collection') && node.arguments.length > 0) declaresCollection = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { path: relative(srcRoot, file).split('\\').join('/'), declaresCollection, imports };
}

/** Every non-test module under `srcRoot`. */
export function parseTree(srcRoot: string): ModuleInfo[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) files.push(path);
    }
  };
  walk(srcRoot);
  return files.sort().map((file) => parseModule(file, srcRoot));
}
