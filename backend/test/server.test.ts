import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { childPort } from './support/ports';

const backendDir = path.resolve(__dirname, '..');

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

  async function start(env: NodeJS.ProcessEnv): Promise<{ ready: boolean; elapsed: number }> {
    output = '';
    const started = Date.now();
    child = spawn(process.execPath, ['dist/server.js'], { cwd: backendDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let ready = false;
    while (!ready && Date.now() - started < 30_000) {
      ready = await fetch(`http://127.0.0.1:${env.PORT}/readyz`)
        .then((res) => res.status === 200)
        .catch(() => false);
      if (!ready) await new Promise((r) => setTimeout(r, 200));
    }
    return { ready, elapsed: Date.now() - started };
  }

  it('when started without MONGODB_URI, then /readyz answers 200 within 30 s, it prints readable lines with the dashboard URL, and SIGTERM stops it cleanly', async () => {
    const port = await childPort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    delete env.MONGODB_URI;
    delete env.NODE_ENV;
    const { ready, elapsed } = await start(env);
    expect({ ready, output: ready ? '' : output }).toEqual({ ready: true, output: '' });
    expect(elapsed).toBeLessThan(30_000);
    expect(output).toContain('started embedded database');
    // Development: pino-pretty lines, not JSON; HOST 0.0.0.0 is shown as localhost.
    expect(output).toMatch(new RegExp(`^\\[[\\d:.]+\\] INFO: Dashboard: http://localhost:${port}/$`, 'm'));
    expect(output).not.toContain('{"level"');

    child?.kill('SIGTERM');
    expect(await waitForExit(child as ChildProcess, 15_000)).toBe(0);
    expect(output).toMatch(/INFO: stopped$/m);
    // The data persisted under DATA_DIR, not in a temporary folder.
    expect(readdirSync(path.join(dataDir, 'db')).length).toBeGreaterThan(0);
  }, 60_000);

  it('when NODE_ENV is production, then every line is JSON, secrets are not logged, and the dashboard line names the host it listens on', async () => {
    const port = await childPort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    };
    delete env.MONGODB_URI;
    const { ready } = await start(env);
    expect({ ready, output: ready ? '' : output }).toEqual({ ready: true, output: '' });
    await fetch(`http://127.0.0.1:${port}/api/v1/me`, {
      headers: { authorization: 'Bearer cpk_secret', cookie: 'a=b' },
    });
    child?.kill('SIGTERM');
    expect(await waitForExit(child as ChildProcess, 15_000)).toBe(0);

    const lines = output.trim().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as { msg: string; req?: unknown });
    expect(entries.map((e) => e.msg)).toContain(`Dashboard: http://127.0.0.1:${port}/`);
    expect(entries.find((e) => e.req)).toMatchObject({ req: { method: 'GET', url: '/api/v1/me' } });
    expect(output).not.toMatch(/cpk_secret|remoteAddress/);
  }, 60_000);
});
