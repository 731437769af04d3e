// The real Clickpath backend for the plugin's end-to-end suites: dist/server.js on its embedded
// defaults (its own FerretDB under `dataDir`, no SMTP server, whatever the caller's environment
// says), and a site owner's session on it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { repoRoot } from '../../../../scripts/wordpress.mjs';

const READY_WITHIN_MS = 60_000;

/**
 * Starts the backend on `port` with its data in `dataDir` and resolves once /readyz answers.
 * Starting it again on the same port and folder (after `stop`) brings the same data back.
 */
export async function startBackend({ port, dataDir, backendDir = join(repoRoot, 'backend') }) {
  assert.ok(existsSync(join(backendDir, 'dist', 'server.js')), `${backendDir}/dist/server.js is missing: build it`);
  const env = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  delete env.MONGODB_URI;
  delete env.NODE_ENV;
  delete env.SMTP_URL;
  const child = spawn(process.execPath, ['dist/server.js'], { cwd: backendDir, env, stdio: 'inherit' });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + READY_WITHIN_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the backend exited with code ${child.exitCode} before it was ready`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, stop };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`the backend did not become ready in ${READY_WITHIN_MS / 1000} s`);
}

/**
 * Signs up on the backend and logs in, as a site owner does in its dashboard. Resolves with
 * `api(method, path, body)` for `/api/v1` calls in that session: `{ status, json, headers }`.
 */
export async function signUp(backendUrl, { email, password, name = 'Owner' }) {
  let cookie;
  const api = async (method, path, body) => {
    const res = await fetch(`${backendUrl}/api/v1${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Origin: backendUrl, ...(cookie ? { Cookie: cookie } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
  };
  const signup = await api('POST', '/auth/signup', { email, password, name });
  assert.equal(signup.status, 202, JSON.stringify(signup.json));
  // Signup answers alike for new and taken addresses and starts no session: log in next.
  const login = await api('POST', '/auth/login', { email, password });
  assert.equal(login.status, 200, JSON.stringify(login.json));
  cookie = login.headers.get('set-cookie').split(';')[0];
  return { api };
}
