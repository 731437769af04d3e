import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

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
});
