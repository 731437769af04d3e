import { readFileSync } from 'node:fs';
import path from 'node:path';

import * as babel from 'prettier/plugins/babel';
import * as estree from 'prettier/plugins/estree';
import * as typescript from 'prettier/plugins/typescript';
import { format } from 'prettier/standalone';

import type { OpenApiDocument } from './document';
import { renderPhpRoutes } from './php';
import { renderTypes } from './typescript';

/** Files written from the document, relative to the repository root. */
export const CONTRACT_FILES = {
  document: 'docs/openapi.json',
  types: 'admin-ui/src/data/api.generated.ts',
  php: 'plugin/includes/class-api-routes.php',
} as const;

/**
 * Formats as `prettier --check .` expects. Prettier's standalone build, because its Node entry
 * loads ES modules, which jest's CommonJS runtime cannot.
 */
async function pretty(root: string, text: string, file: string): Promise<string> {
  const options = JSON.parse(readFileSync(path.join(root, '.prettierrc.json'), 'utf8')) as object;
  const parser = file.endsWith('.json') ? 'json' : 'typescript';
  return format(text, { ...options, parser, plugins: [babel, estree, typescript] });
}

/** The content of each generated file, as `npm run contract` writes it (formatted with `root`'s Prettier config). */
export async function contractFiles(doc: OpenApiDocument, root: string): Promise<Map<string, string>> {
  return new Map([
    [CONTRACT_FILES.document, await pretty(root, JSON.stringify(doc), CONTRACT_FILES.document)],
    [CONTRACT_FILES.types, await pretty(root, renderTypes(doc), CONTRACT_FILES.types)],
    [CONTRACT_FILES.php, renderPhpRoutes(doc)],
  ]);
}

/** The generated files whose committed copy differs from what the document generates now. */
export async function staleFiles(doc: OpenApiDocument, root: string, read: (file: string) => string | undefined) {
  const stale: string[] = [];
  for (const [file, content] of await contractFiles(doc, root)) if (read(file) !== content) stale.push(file);
  return stale;
}
