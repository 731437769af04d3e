import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A database server started by Clickpath itself because no MONGODB_URI was given. */
export interface EmbeddedDatabase {
  readonly kind: 'mongod' | 'ferretdb';
  /** Connection string without a database name; callers append one. */
  readonly uri: string;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Folder for the data files; omitted → a throwaway temporary folder removed on stop. */
  dataDir?: string;
  /** Repository root, where `npm run setup:db` puts FerretDB and mongodb-memory-server keeps downloads. */
  projectRoot: string;
}

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

const NO_DATABASE_HELP = [
  'No database available. Clickpath needs MongoDB (or a MongoDB-compatible server). Either:',
  '  - set MONGODB_URI to a running MongoDB (6.0+), e.g. MONGODB_URI=mongodb://127.0.0.1:27017/clickpath',
  '  - put `mongod` on PATH, or',
  '  - run `npm run setup:db` (needs Go) to install FerretDB into .tools/bin.',
].join('\n');

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

function findFerretDb(projectRoot: string): string | undefined {
  const candidates = [
    process.env.FERRETDB_BIN,
    path.join(projectRoot, '.tools', 'bin', 'ferretdb'),
    findOnPath('ferretdb'),
    path.join(process.env.GOPATH ?? path.join(os.homedir(), 'go'), 'bin', 'ferretdb'),
  ];
  return candidates.find((c): c is string => c !== undefined && isExecutable(c));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`database process exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`database did not open port ${port} within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function startFerretDb(binary: string, dataDir: string): Promise<EmbeddedDatabase> {
  const port = await freePort();
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(
    binary,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dataDir}/`,
      `--state-dir=${dataDir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await waitForPort(port, child, 20_000);
  return { kind: 'ferretdb', uri: `mongodb://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

async function startMongod(dataDir: string, projectRoot: string, systemBinary?: string): Promise<EmbeddedDatabase> {
  process.env.MONGOMS_DOWNLOAD_DIR ??= path.join(projectRoot, '.cache', 'mongodb-binaries');
  mkdirSync(dataDir, { recursive: true });
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  const server = await MongoMemoryServer.create({
    instance: { dbPath: dataDir, storageEngine: 'wiredTiger' },
    ...(systemBinary ? { binary: { systemBinary } } : {}),
  });
  return {
    kind: 'mongod',
    uri: server.getUri().replace(/\/[^/]*$/, ''),
    stop: async () => {
      await server.stop({ doCleanup: false, force: false });
    },
  };
}

/**
 * Starts the best local database available, in this order: a `mongod` on PATH,
 * a FerretDB binary (see `npm run setup:db`), a `mongod` downloaded by
 * mongodb-memory-server. FerretDB comes before the download because the download
 * takes seconds to fail on machines without internet access.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const throwaway = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'clickpath-db-'));
  const removeThrowaway = () => {
    if (throwaway) rmSync(dataDir, { recursive: true, force: true });
  };
  const withCleanup = (db: EmbeddedDatabase): EmbeddedDatabase => ({
    ...db,
    stop: async () => {
      await db.stop();
      removeThrowaway();
    },
  });

  const mongod = findOnPath('mongod');
  if (mongod) return withCleanup(await startMongod(path.join(dataDir, 'mongod'), options.projectRoot, mongod));

  const ferretdb = findFerretDb(options.projectRoot);
  if (ferretdb) return withCleanup(await startFerretDb(ferretdb, path.join(dataDir, 'ferretdb')));

  try {
    return withCleanup(await startMongod(path.join(dataDir, 'mongod'), options.projectRoot));
  } catch (error) {
    removeThrowaway();
    throw new Error(`${NO_DATABASE_HELP}\n(mongod download failed: ${(error as Error).message})`, { cause: error });
  }
}
