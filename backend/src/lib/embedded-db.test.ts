import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import ts from 'typescript';

import { startEmbeddedDatabase } from './embedded-db';

/** A stand-in `mongod` that records its arguments and listens where it is told, as the real one would. */
function fakeMongod(argsFile: string, fail: boolean): string {
  return `#!${process.execPath}
const args = process.argv.slice(2);
require('node:fs').writeFileSync(${JSON.stringify(argsFile)}, JSON.stringify(args));
if (${fail}) { console.log('fake mongod: data directory is locked'); process.exit(48); }
const port = Number(args[args.indexOf('--port') + 1]);
const server = require('node:net').createServer((socket) => socket.end()).listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startEmbeddedDatabase', () => {
  const saved = { ...process.env };
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'clickpath-embedded-test-'));
    // Nothing from this machine: no FerretDB in $GOPATH/bin or FERRETDB_BIN, an empty project root.
    delete process.env.FERRETDB_BIN;
    process.env.GOPATH = path.join(dir, 'gopath');
  });

  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  function putFakeMongodOnPath({ fail = false } = {}): void {
    writeFileSync(path.join(dir, 'mongod'), fakeMongod(path.join(dir, 'args.json'), fail), { mode: 0o755 });
    process.env.PATH = dir;
  }

  it('when mongod is on PATH, then it is started directly on 127.0.0.1 with its data under dataDir, and stop ends it', async () => {
    putFakeMongodOnPath();
    const dataDir = path.join(dir, 'data');
    const db = await startEmbeddedDatabase({ dataDir, projectRoot: path.join(dir, 'project') });
    const port = Number(new URL(db.uri).port);
    expect({ kind: db.kind, uri: db.uri }).toEqual({ kind: 'mongod', uri: `mongodb://127.0.0.1:${port}` });
    expect(JSON.parse(readFileSync(path.join(dir, 'args.json'), 'utf8'))).toEqual([
      '--dbpath',
      path.join(dataDir, 'mongod'),
      '--port',
      String(port),
      '--bind_ip',
      '127.0.0.1',
      '--quiet',
    ]);
    expect(await portOpen(port)).toBe(true);
    await db.stop();
    expect(await portOpen(port)).toBe(false);
    expect(existsSync(path.join(dataDir, 'mongod'))).toBe(true);
  });

  it('when mongod exits before listening, then the error carries its output', async () => {
    putFakeMongodOnPath({ fail: true });
    await expect(startEmbeddedDatabase({ projectRoot: path.join(dir, 'project') })).rejects.toThrow(
      /exited with code 48:\nfake mongod: data directory is locked/,
    );
  });

  it('when there is neither mongod nor FerretDB, then it fails at once naming what to install, downloading nothing', async () => {
    process.env.PATH = path.join(dir, 'empty');
    const started = Date.now();
    await expect(startEmbeddedDatabase({ projectRoot: path.join(dir, 'project') })).rejects.toThrow(
      /No database available[\s\S]*MONGODB_URI[\s\S]*mongod[\s\S]*npm run setup:db/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  /** Runs startEmbeddedDatabase in a process of its own (transpiled), which the test can SIGKILL. */
  function startInChild(dataDir: string): ChildProcess {
    const out = path.join(dir, 'js');
    mkdirSync(out, { recursive: true });
    for (const name of ['embedded-db', 'paths']) {
      const source = readFileSync(path.join(__dirname, `${name}.ts`), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      writeFileSync(path.join(out, `${name}.js`), outputText);
    }
    const script = `require(${JSON.stringify(path.join(out, 'embedded-db.js'))})
      .startEmbeddedDatabase({ dataDir: ${JSON.stringify(dataDir)}, projectRoot: ${JSON.stringify(path.join(dir, 'project'))} })
      .then((db) => console.log(db.uri));
      setInterval(() => {}, 1000);`;
    return spawn(process.execPath, ['-e', script], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
  }

  async function waitFor(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await probe()) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  it('when the backend is killed with SIGKILL, then the database it started exits too', async () => {
    putFakeMongodOnPath();
    const dataDir = path.join(dir, 'data');
    const backend = startInChild(dataDir);
    let uri = '';
    backend.stdout?.on('data', (chunk: Buffer) => (uri += chunk.toString()));
    expect(await waitFor(() => uri.includes('mongodb://'), 10_000)).toBe(true);
    const port = Number(new URL(uri.trim()).port);
    const pid = Number(readFileSync(path.join(dataDir, 'mongod', 'clickpath-db.pid'), 'utf8'));
    expect(await portOpen(port)).toBe(true);
    backend.kill('SIGKILL');
    expect(await waitFor(async () => !(await portOpen(port)), 5_000)).toBe(true);
    expect(await waitFor(() => !isRunning(pid), 5_000)).toBe(true);
  }, 30_000);

  it('when a database left behind by a killed backend serves the same data folder, then the next start stops it first', async () => {
    putFakeMongodOnPath();
    const dataDir = path.join(dir, 'data');
    const folder = path.join(dataDir, 'mongod');
    mkdirSync(folder, { recursive: true });
    // What a backend killed before pdeathsig existed (or on another OS) leaves: a running server and its pid file.
    const stalePort = 20_000 + Math.floor(Math.random() * 20_000);
    const stale = spawn(path.join(dir, 'mongod'), ['--dbpath', folder, '--port', String(stalePort)], {
      detached: true,
      stdio: 'ignore',
    });
    stale.unref();
    writeFileSync(path.join(folder, 'clickpath-db.pid'), `${stale.pid}\n`);
    expect(await waitFor(() => portOpen(stalePort), 5_000)).toBe(true);

    const db = await startEmbeddedDatabase({ dataDir, projectRoot: path.join(dir, 'project') });
    try {
      expect(await portOpen(stalePort)).toBe(false);
      expect(await waitFor(() => !isRunning(stale.pid!), 5_000)).toBe(true);
      expect(await portOpen(Number(new URL(db.uri).port))).toBe(true);
    } finally {
      await db.stop();
    }
    expect(existsSync(path.join(folder, 'clickpath-db.pid'))).toBe(false);
  }, 30_000);

  it('when the pid file names a process that does not serve this folder, then that process is left alone', async () => {
    putFakeMongodOnPath();
    const dataDir = path.join(dir, 'data');
    mkdirSync(path.join(dataDir, 'mongod'), { recursive: true });
    writeFileSync(path.join(dataDir, 'mongod', 'clickpath-db.pid'), `${process.pid}\n`);
    const db = await startEmbeddedDatabase({ dataDir, projectRoot: path.join(dir, 'project') });
    await db.stop();
    expect(isRunning(process.pid)).toBe(true);
  });
});

/** Alive and not a zombie waiting to be reaped. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
