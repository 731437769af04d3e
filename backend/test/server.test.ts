import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const backendDir = path.resolve(__dirname, '..');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error('process did not exit in time')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('npm start with nothing configured', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: backendDir, stdio: 'inherit' });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'clickpath-start-'));
  }, 120_000);

  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('when started without MONGODB_URI, then /readyz answers 200 within 30 s and SIGTERM stops it cleanly', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    delete env.MONGODB_URI;
    delete env.NODE_ENV;
    const started = Date.now();
    child = spawn(process.execPath, ['dist/server.js'], { cwd: backendDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

    let ready = false;
    while (!ready && Date.now() - started < 30_000) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`)
        .then((res) => res.status === 200)
        .catch(() => false);
      if (!ready) await new Promise((r) => setTimeout(r, 200));
    }
    expect({ ready, output: ready ? '' : output }).toEqual({ ready: true, output: '' });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(output).toContain('started embedded database');

    child.kill('SIGTERM');
    expect(await waitForExit(child, 15_000)).toBe(0);
    expect(output).toContain('"msg":"stopped"');
    // The data persisted under DATA_DIR, not in a temporary folder.
    expect(readdirSync(path.join(dataDir, 'db')).length).toBeGreaterThan(0);
  }, 60_000);
});
