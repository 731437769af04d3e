// Shared pieces of the benchmarks: a database, the built backend as a child
// process, and a signed-up account with a site.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const backendDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** MONGODB_URI when given, otherwise the embedded database the backend itself would start. */
export async function startDatabase() {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI.replace(/\/[^/]*$/, ''), stop: async () => {} };
  const { startEmbeddedDatabase, REPO_ROOT } = await import(join(backendDir, 'dist/lib/embedded-db.js'));
  return startEmbeddedDatabase({ projectRoot: REPO_ROOT });
}

/** Runs dist/server.js and resolves once /readyz answers. */
export async function startBackend(env) {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: backendDir,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      RATE_LIMITS: 'false',
      COLLECT_SITE_EVENTS_PER_MINUTE: '1000000000',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (
      await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    ) {
      return {
        base,
        child,
        stop: () =>
          new Promise((resolve) => {
            const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
            child.once('exit', () => resolve(clearTimeout(force)));
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('backend did not become ready');
}

/** Signs up and creates a site; returns the session cookie, the site and a key with `scopes`. */
export async function createAccountAndSite(base, site = {}, scopes = ['stats:read']) {
  const headers = { 'Content-Type': 'application/json', Origin: base };
  const email = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const credentials = JSON.stringify({ email, password: 'benchmark password 42' });
  const signup = await fetch(`${base}/api/v1/auth/signup`, { method: 'POST', headers, body: credentials });
  if (signup.status !== 202) throw new Error(`signup failed: ${signup.status} ${await signup.text()}`);
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers, body: credentials });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const created = await fetch(`${base}/api/v1/sites`, {
    method: 'POST',
    headers: { ...headers, Cookie: cookie },
    body: JSON.stringify({ name: 'Bench', domain: 'bench.example.com', timezone: 'UTC', ...site }),
  });
  if (created.status !== 201) throw new Error(`create site failed: ${created.status} ${await created.text()}`);
  const siteBody = await created.json();
  const key = await fetch(`${base}/api/v1/sites/${siteBody.id}/keys`, {
    method: 'POST',
    headers: { ...headers, Cookie: cookie },
    body: JSON.stringify({ name: 'bench', scopes }),
  });
  return { cookie, site: siteBody, key: (await key.json()).secret };
}
