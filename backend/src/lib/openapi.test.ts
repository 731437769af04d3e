import request from 'supertest';

import { startTestApp, type TestApp } from '../../test/support/app';
import { createApp } from '../app';
import { loadConfig } from './config';
import { createLogger } from './logger';

/** The OpenAPI document as clients read it: servers, operation ids and the collector. */

interface Operation {
  operationId?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: { $ref?: string; anyOf?: unknown[] } }> };
  responses: Record<string, { headers?: Record<string, unknown> }>;
}
interface Document {
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

const readDocument = async (app = t.app): Promise<Document> => {
  const res = await request(app).get('/api/v1/openapi.json');
  expect(res.status).toBe(200);
  return res.body as Document;
};

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method, path, op })),
  );

describe('GET /api/v1/openapi.json', () => {
  it('when read, then the server is the origin, because every path already starts with its prefix', async () => {
    const doc = await readDocument();

    expect(doc.servers).toEqual([{ url: '/' }]);
    const paths = Object.keys(doc.paths);
    expect(paths.every((p) => p.startsWith('/api/v1/') || p === '/api/event')).toBe(true);
  });

  it('when PUBLIC_URL is set, then it is the server', async () => {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PUBLIC_URL: 'https://stats.example.com/' });
    const app = createApp({ config, logger: createLogger('silent') });
    expect((await readDocument(app)).servers).toEqual([{ url: 'https://stats.example.com' }]);
  });

  it('when read, then every operation has an operationId, and no two share one', async () => {
    const ops = operations(await readDocument());
    const missing = ops.filter(({ op }) => !op.operationId).map(({ method, path }) => `${method} ${path}`);
    const ids = ops.map(({ op }) => op.operationId);

    expect(missing).toEqual([]);
    expect(ops.length).toBeGreaterThan(40);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[a-z][A-Za-z]+$/.test(id ?? ''))).toBe(true);
  });

  it('when read, then the collector is described: its event schema, unauthenticated, and each answer it gives', async () => {
    const doc = await readDocument();
    const collect = doc.paths['/api/event']?.post;

    expect(collect?.operationId).toBe('collectEvents');
    expect(collect?.security).toEqual([]);
    expect(Object.keys(collect?.requestBody?.content ?? {}).sort()).toEqual(['application/json', 'text/plain']);
    expect(Object.keys(collect?.responses ?? {}).sort()).toEqual(['202', '400', '404', '413', '415', '503']);
    expect(collect?.responses['503']?.headers).toHaveProperty('Retry-After');
    const event = doc.components.schemas.TrackerEvent;
    expect(Object.keys(event?.properties ?? {})).toEqual(
      expect.arrayContaining(['s', 'i', 'k', 'u', 'r', 't', 'w', 'l', 'n', 'p', 'e', 'v', 'uid', 'tr', 'nf']),
    );
    expect(JSON.stringify(collect?.requestBody)).toContain('#/components/schemas/TrackerEvent');
  });
});
