#!/usr/bin/env node
// `npm run contract`: the backend's OpenAPI document is the API's contract. This writes it to
// docs/openapi.json, with admin-ui's types (admin-ui/src/data/api.generated.ts) and the plugin's
// proxy table (plugin/includes/class-api-routes.php) generated from it. `--check` writes nothing
// and fails when a committed file differs from what the backend generates now (`npm test` runs it).
// The generator is TypeScript (backend/src/contract/): esbuild bundles it, packages left external.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside backend/node_modules, so that the bundle resolves the backend's packages.
const outfile = join(root, 'backend', 'node_modules', '.cache', 'clickpath-contract', 'cli.cjs');
await build({
  entryPoints: [join(root, 'backend', 'src', 'contract', 'cli.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  packages: 'external',
  outfile,
  logLevel: 'warning',
});
const result = spawnSync(process.execPath, [outfile, root, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
