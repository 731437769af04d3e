// Which database the backend will find when MONGODB_URI is unset, looked up the way
// backend/src/lib/embedded-db.ts does, so `npm start` and `npm test` know when FerretDB
// must be built first.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FERRETDB_VERSION = 'v1.24.2';
/** Where `npm run setup:db` installs FerretDB. */
export const FERRETDB_BINARY = join(ROOT, '.tools', 'bin', 'ferretdb');

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable called `name` on PATH, or null. */
export function findOnPath(name, env = process.env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** A `go` command (on PATH or where Go is commonly installed) new enough for FerretDB (1.24+), or null. */
export function findGo() {
  for (const candidate of ['go', '/usr/local/go/bin/go', '/usr/lib/go/bin/go']) {
    const result = spawnSync(candidate, ['env', 'GOVERSION'], { encoding: 'utf8' });
    const [major, minor] = (/^go(\d+)\.(\d+)/.exec(result.stdout ?? '') ?? []).slice(1).map(Number);
    if (result.status === 0 && (major > 1 || (major === 1 && minor >= 24))) return candidate;
  }
  return null;
}

/** The version a FerretDB binary reports (`v1.24.2`), or null when it is missing or does not run. */
export function ferretDbVersion(binary = FERRETDB_BINARY) {
  if (!isExecutable(binary)) return null;
  try {
    return /version: (\S+)/.exec(execFileSync(binary, ['--version'], { encoding: 'utf8' }))?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * What the backend will connect to: `MONGODB_URI`, a `mongod` on PATH, or a FerretDB binary
 * (FERRETDB_BIN, .tools/bin, PATH, $GOPATH/bin, in embedded-db.ts's order); null when there
 * is none, or when the one it would pick is our own build of another version.
 * @returns {'MONGODB_URI' | 'mongod' | 'ferretdb' | null}
 */
export function availableDatabase(env = process.env) {
  if (env.MONGODB_URI) return 'MONGODB_URI';
  if (findOnPath('mongod', env)) return 'mongod';
  const ferretdb = [
    env.FERRETDB_BIN,
    FERRETDB_BINARY,
    findOnPath('ferretdb', env),
    join(env.GOPATH ?? join(homedir(), 'go'), 'bin', 'ferretdb'),
  ].find((candidate) => candidate && isExecutable(candidate));
  if (!ferretdb) return null;
  if (ferretdb === FERRETDB_BINARY && ferretDbVersion(ferretdb) !== FERRETDB_VERSION) return null;
  return 'ferretdb';
}
