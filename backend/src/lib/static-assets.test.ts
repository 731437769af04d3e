import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

import express from 'express';

import { rawRequest } from '../../test/support/raw-http';
import { chooseEncoding, compressAtMax, serveBuild } from './static-assets';

/** A build directory as admin-ui writes it: hashed bundles with .br/.gz beside them, index.html without. */
const dir = mkdtempSync(path.join(tmpdir(), 'clickpath-static-'));
const BUNDLE = 'dashboard.0123456789ab.js';
const bundle = Buffer.from(`console.log(${JSON.stringify('clickpath '.repeat(500))});\n`);
const index = '<!doctype html><script defer src="dashboard.0123456789ab.js"></script>\n';

let origin: string;
let server: http.Server;

beforeAll(async () => {
  writeFileSync(path.join(dir, BUNDLE), bundle);
  const { br, gzip } = compressAtMax(bundle);
  writeFileSync(path.join(dir, `${BUNDLE}.br`), br);
  writeFileSync(path.join(dir, `${BUNDLE}.gz`), gzip);
  writeFileSync(path.join(dir, 'style-dashboard.abcdef012345.css'), 'body{margin:0}\n');
  writeFileSync(path.join(dir, 'index.html'), index);
  writeFileSync(path.join(tmpdir(), 'clickpath-outside.txt'), 'secret');
  const app = express();
  app.use(serveBuild(dir));
  app.use((_req, res) => res.status(404).end('not found'));
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const get = (p: string, headers: Record<string, string> = {}, method = 'GET') =>
  rawRequest(origin + p, { method, headers });

describe('chooseEncoding', () => {
  it.each([
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'br'],
    ['deflate', 'identity'],
    ['', 'identity'],
    ['identity;q=0', 'identity'],
    ['GZIP', 'gzip'],
  ])('when Accept-Encoding is %p, then %s', (header, expected) => {
    expect(chooseEncoding(header, ['br', 'gzip', 'identity'])).toBe(expected);
  });

  it('when only some copies exist, then the best of those is chosen', () => {
    expect(chooseEncoding('br, gzip', ['gzip', 'identity'])).toBe('gzip');
    expect(chooseEncoding('br', ['identity'])).toBe('identity');
  });
});

describe('serveBuild', () => {
  it('when a hashed bundle is asked for, then it is cached for a year as immutable', async () => {
    const res = await get(`/${BUNDLE}`, { 'Accept-Encoding': 'br' });

    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers.vary).toBe('Accept-Encoding');
  });

  it('when the client accepts brotli or gzip, then the copy written at build time is sent', async () => {
    const br = await get(`/${BUNDLE}`, { 'Accept-Encoding': 'gzip, deflate, br' });
    const gzip = await get(`/${BUNDLE}`, { 'Accept-Encoding': 'gzip' });
    const plain = await get(`/${BUNDLE}`);

    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(bundle)).toBe(true);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).equals(bundle)).toBe(true);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(bundle)).toBe(true);
    expect(br.body.length).toBeLessThan(bundle.length / 10);
  });

  it('when a hashed file has no compressed copy, then it is sent as it is, still immutable', async () => {
    const res = await get('/style-dashboard.abcdef012345.css', { 'Accept-Encoding': 'br, gzip' });

    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('when / is asked for, then index.html is sent, revalidated on every use', async () => {
    const res = await get('/');

    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(index);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    const again = await get('/', { 'If-None-Match': res.headers.etag as string });
    expect(again.status).toBe(304);
  });

  it('when the build is redone, then the new file is served', async () => {
    const changed = `${index}<!-- rebuilt -->\n`;
    writeFileSync(path.join(dir, 'index.html'), changed);
    const res = await get('/');
    expect(res.body.toString()).toBe(changed);
  });

  it('when HEAD is sent, then the headers come without a body', async () => {
    const res = await get(`/${BUNDLE}`, { 'Accept-Encoding': 'gzip' }, 'HEAD');

    expect(res.status).toBe(200);
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
    expect(res.body.length).toBe(0);
  });

  it('when a path leaves the directory, names a compressed copy or does not exist, then it falls through (404)', async () => {
    for (const p of [
      '/../clickpath-outside.txt',
      '/%2e%2e/clickpath-outside.txt',
      '/..%2fclickpath-outside.txt',
      `/${BUNDLE}.br`,
      `/${BUNDLE}.gz`,
      '/missing.js',
      '/%E0%A4%A',
    ]) {
      const res = await get(p);
      expect({ p, status: res.status }).toEqual({ p, status: 404 });
    }
  });
});
