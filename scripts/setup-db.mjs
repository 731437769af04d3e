#!/usr/bin/env node
// Installs FerretDB 1.24.2 into .tools/bin with Go. The module's published source
// lacks build/version/version.txt (its binary panics at start without it), so we
// build from a copy of the module with that file written in.
import { execFileSync } from 'node:child_process';
import { cpSync, chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import {
  FERRETDB_BINARY as binary,
  FERRETDB_VERSION as VERSION,
  ROOT,
  ferretDbVersion,
  findGo,
} from './lib/database.mjs';

const toolsDir = join(ROOT, '.tools');
const installedVersion = () => ferretDbVersion(binary);

if (installedVersion() === VERSION) {
  console.log(`FerretDB ${VERSION} already installed at ${binary}`);
  process.exit(0);
}

const go = findGo();
if (!go) {
  console.error(
    'setup:db needs Go 1.24+ (https://go.dev/dl/) to build FerretDB. Install Go, or set MONGODB_URI to a running MongoDB.',
  );
  process.exit(1);
}

console.log(`Building FerretDB ${VERSION} with ${go} (first build takes a few minutes)...`);
const moduleInfo = JSON.parse(
  execFileSync(go, ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${VERSION}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
);
const sourceDir = join(toolsDir, 'src', `ferretdb-${VERSION}`);
rmSync(sourceDir, { recursive: true, force: true });
mkdirSync(dirname(sourceDir), { recursive: true });
cpSync(moduleInfo.Dir, sourceDir, { recursive: true });
chmodSync(sourceDir, 0o755);
execFileSync('chmod', ['-R', 'u+w', sourceDir]);
writeFileSync(join(sourceDir, 'build', 'version', 'version.txt'), `${VERSION}\n`);
mkdirSync(dirname(binary), { recursive: true });
execFileSync(go, ['build', '-trimpath', '-o', binary, './cmd/ferretdb'], {
  cwd: sourceDir,
  stdio: 'inherit',
  env: { ...process.env, CGO_ENABLED: '0' },
});
rmSync(sourceDir, { recursive: true, force: true });
console.log(`FerretDB ${installedVersion()} installed at ${binary}`);
