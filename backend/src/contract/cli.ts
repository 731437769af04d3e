import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { readServedDocument } from './document';
import { contractFiles, staleFiles } from './files';

/**
 * `npm run contract` (scripts/contract.mjs runs this): writes the OpenAPI document and the files
 * generated from it; with `--check`, writes nothing and fails when a committed file is stale.
 * The repository root is the first argument.
 */
async function main(root: string, check: boolean): Promise<number> {
  const doc = await readServedDocument();
  if (check) {
    const stale = await staleFiles(doc, root, (file) => {
      try {
        return readFileSync(path.join(root, file), 'utf8');
      } catch {
        return undefined;
      }
    });
    if (stale.length > 0) {
      console.error(`Stale generated files (run \`npm run contract\`): ${stale.join(', ')}`);
      return 1;
    }
    console.log('The generated contract files are current');
    return 0;
  }
  for (const [file, content] of await contractFiles(doc, root)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
    console.log(`wrote ${file}`);
  }
  return 0;
}

const [root, flag] = process.argv.slice(2);
if (!root) throw new Error('usage: cli <repository root> [--check]');
main(root, flag === '--check').then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
