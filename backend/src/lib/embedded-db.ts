import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  /** Repository root, where `npm run setup:db` puts FerretDB. */
  projectRoot: string;
}

export { REPO_ROOT } from './paths';

const NO_DATABASE_HELP = [
  'No database available. Clickpath needs MongoDB (or a MongoDB-compatible server). Either:',
  '  - set MONGODB_URI to a running MongoDB (6.0+), e.g. MONGODB_URI=mongodb://127.0.0.1:27017/clickpath',
  '  - put `mongod` on PATH, or',
  '  - run `npm run setup:db` (needs Go 1.24+) to build FerretDB into .tools/bin (`npm start` does this itself).',
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

/** A database server process; `closed` settles once it exited and its output was read. */
interface ServerProcess {
  child: ChildProcess;
  closed: Promise<void>;
}

/** Names the running server's pid in its data folder, so the next start can stop one left behind. */
const PID_FILE = 'clickpath-db.pid';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Whether `pid` is a server started on `dataDir` (its command line names the folder); a reused pid is not. */
function servesDataDir(pid: number, dataDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .some((arg) => arg.includes(dataDir));
  } catch {
    return false;
  }
}

/**
 * Stops a server that an earlier run left on `dataDir` (its backend was killed before it
 * could stop it): two servers on the same files would corrupt them.
 */
export async function stopStaleDatabase(dataDir: string): Promise<void> {
  const file = path.join(dataDir, PID_FILE);
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return;
  }
  if (Number.isInteger(pid) && pid > 0 && servesDataDir(pid, dataDir)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(file, { force: true });
}

/**
 * On Linux the server is started through `setpriv --pdeathsig TERM`, which asks the kernel
 * to send it SIGTERM when its parent (this process) dies, even by SIGKILL: the database
 * cannot outlive the backend. setpriv execs the server, so the pid is the server's own.
 */
const PDEATHSIG =
  process.platform === 'linux'
    ? (findOnPath('setpriv') ?? ['/usr/bin/setpriv', '/bin/setpriv'].find(isExecutable))
    : undefined;

function launch(binary: string, args: string[], stdout: 'ignore' | 'pipe', dataDir: string): ServerProcess {
  const [command, commandArgs] = PDEATHSIG
    ? [PDEATHSIG, ['--pdeathsig', 'TERM', '--', binary, ...args]]
    : [binary, args];
  const child = spawn(command, commandArgs, { stdio: ['ignore', stdout, 'inherit'] });
  const pidFile = path.join(dataDir, PID_FILE);
  if (child.pid !== undefined) writeFileSync(pidFile, `${child.pid}\n`);
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  }).then(() => rmSync(pidFile, { force: true }));
  return { child, closed };
}

/** Resolves once `port` accepts connections; stops the server and rejects if it exits or takes too long. */
async function waitForPort(port: number, server: ServerProcess, timeoutMs: number, output = () => ''): Promise<void> {
  try {
    await pollPort(port, server.child, timeoutMs);
  } catch (error) {
    await stopServer(server);
    const tail = output().trim();
    throw new Error(`${(error as Error).message}${tail ? `:\n${tail}` : ''}`, { cause: error });
  }
}

async function pollPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
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

function stopServer({ child, closed }: ServerProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    void closed.then(() => clearTimeout(timer));
    child.kill('SIGTERM');
  }
  return closed;
}

async function startFerretDb(binary: string, dataDir: string): Promise<EmbeddedDatabase> {
  const port = await freePort();
  mkdirSync(dataDir, { recursive: true });
  await stopStaleDatabase(dataDir);
  const server = launch(
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
    'ignore',
    dataDir,
  );
  await waitForPort(port, server, 20_000);
  return { kind: 'ferretdb', uri: `mongodb://127.0.0.1:${port}`, stop: () => stopServer(server) };
}

async function startMongod(binary: string, dataDir: string): Promise<EmbeddedDatabase> {
  const port = await freePort();
  mkdirSync(dataDir, { recursive: true });
  await stopStaleDatabase(dataDir);
  const server = launch(
    binary,
    ['--dbpath', dataDir, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet'],
    'pipe',
    dataDir,
  );
  // mongod logs to stdout, verbosely; keep the end of it to explain a failed start.
  let output = '';
  server.child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  await waitForPort(port, server, 60_000, () => output);
  return { kind: 'mongod', uri: `mongodb://127.0.0.1:${port}`, stop: () => stopServer(server) };
}

/**
 * Starts the best local database available, in this order: a `mongod` on PATH, a
 * FerretDB binary (see `npm run setup:db`); otherwise throws saying what to install.
 * Nothing is downloaded.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const mongod = findOnPath('mongod');
  const ferretdb = findFerretDb(options.projectRoot);
  const launch = mongod
    ? (dir: string) => startMongod(mongod, path.join(dir, 'mongod'))
    : ferretdb
      ? (dir: string) => startFerretDb(ferretdb, path.join(dir, 'ferretdb'))
      : undefined;
  if (!launch) throw new Error(NO_DATABASE_HELP);

  const throwaway = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'clickpath-db-'));
  const removeThrowaway = () => {
    if (throwaway) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const db = await launch(dataDir);
    return {
      ...db,
      stop: async () => {
        await db.stop();
        removeThrowaway();
      },
    };
  } catch (error) {
    removeThrowaway();
    throw error;
  }
}
