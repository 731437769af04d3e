import { readFileSync } from 'node:fs';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

import { startTestApp, type TestApp } from './support/app';
import { listen } from './support/collect';
import { rawRequest } from './support/raw-http';
import { TRACKER_FILE } from './tracker/harness';

/**
 * What crosses the wire for the tracker, the API and the collector: compressed where the
 * client accepts it, with the cache headers each one needs. Bodies are read raw, as sent.
 */

const BUDGET = 800;
const BROWSER = 'gzip, deflate, br, zstd';

let t: TestApp;
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  t = await startTestApp();
  server = await listen(t.handler);
});

afterAll(async () => {
  await server?.close();
  await t?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => rawRequest(server.origin + path, { headers });

describe('GET /js/clickpath.js', () => {
  const built = () => readFileSync(TRACKER_FILE);

  it('when asked with Accept-Encoding: gzip, then at most 800 bytes are sent, gzip, and they unzip to the built file', async () => {
    const res = await get('/js/clickpath.js', { 'Accept-Encoding': 'gzip' });

    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.body.length).toBeLessThanOrEqual(BUDGET);
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(gunzipSync(res.body).equals(built())).toBe(true);
  });

  it('when asked with Accept-Encoding: br, then brotli, smaller than gzip, within the budget', async () => {
    const br = await get('/js/clickpath.js', { 'Accept-Encoding': 'br' });
    const gzip = await get('/js/clickpath.js', { 'Accept-Encoding': 'gzip' });

    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.length).toBeLessThanOrEqual(BUDGET);
    expect(br.body.length).toBeLessThan(gzip.body.length);
    expect(brotliDecompressSync(br.body).equals(built())).toBe(true);
  });

  it("when a browser lists gzip before br, then brotli is still chosen (equal q-values follow the server's preference)", async () => {
    const res = await get('/js/clickpath.js', { 'Accept-Encoding': BROWSER });
    expect(res.headers['content-encoding']).toBe('br');
    const refusesBr = await get('/js/clickpath.js', { 'Accept-Encoding': 'br;q=0, gzip' });
    expect(refusesBr.headers['content-encoding']).toBe('gzip');
  });

  it('when the client accepts no compression, then the plain file is sent, and every answer varies on Accept-Encoding', async () => {
    const res = await get('/js/clickpath.js');

    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.equals(built())).toBe(true);
    expect(res.headers.vary).toMatch(/Accept-Encoding/i);
  });

  it('when served, then it is cached briefly and revalidated by ETag, never as immutable: its URL is embedded in sites', async () => {
    const res = await get('/js/clickpath.js', { 'Accept-Encoding': BROWSER });
    const cacheControl = res.headers['cache-control'] ?? '';
    const maxAge = Number(/max-age=(\d+)/.exec(cacheControl)?.[1]);

    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(3600);
    expect(cacheControl).not.toMatch(/immutable/);
    expect(res.headers.etag).toMatch(/^"[^"]+"$/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('when revalidated with its ETag, then 304 without a body; each encoding has its own ETag', async () => {
    const br = await get('/js/clickpath.js', { 'Accept-Encoding': 'br' });
    const gzip = await get('/js/clickpath.js', { 'Accept-Encoding': 'gzip' });
    expect(br.headers.etag).not.toBe(gzip.headers.etag);

    const again = await get('/js/clickpath.js', {
      'Accept-Encoding': 'br',
      'If-None-Match': br.headers.etag as string,
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const otherEncoding = await get('/js/clickpath.js', {
      'Accept-Encoding': 'gzip',
      'If-None-Match': br.headers.etag as string,
    });
    expect(otherEncoding.status).toBe(200);
  });
});

describe('API answers', () => {
  it('when a large JSON answer is asked for with br or gzip, then it is compressed and decodes to the same JSON', async () => {
    const plain = await get('/api/v1/openapi.json');
    const br = await get('/api/v1/openapi.json', { 'Accept-Encoding': BROWSER });
    const gzip = await get('/api/v1/openapi.json', { 'Accept-Encoding': 'gzip' });

    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(br.headers['content-encoding']).toBe('br');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(br.headers.vary).toMatch(/Accept-Encoding/i);
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.body.length / 4);
  });

  it('when an answer is small, then it is sent as it is (compressing under 1 KiB costs more than it saves)', async () => {
    const res = await get('/api/v1/auth/session', { 'Accept-Encoding': BROWSER });

    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(res.body.toString())).toEqual({ type: 'anonymous' });
  });
});

describe('POST /api/event', () => {
  it('when the collector answers, then it never compresses (it does not pass through Express)', async () => {
    const res = await rawRequest(`${server.origin}/api/event`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'Accept-Encoding': BROWSER },
      body: '{"not":"an event"}',
    });

    expect(res.status).toBe(400);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect((JSON.parse(res.body.toString()) as { error: { code: string } }).error.code).toBe('validation_failed');
  });
});
