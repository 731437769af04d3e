import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';

import { API_PREFIX, createApp } from '../app';
import type { WORDPRESS_EXTENSION, WordPressAccess } from '../lib/http';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';

/** A JSON Schema as the OpenAPI 3.1 document holds it (the keywords the generators read). */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  description?: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: JsonSchema;
}

export interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
  [WORDPRESS_EXTENSION]?: WordPressAccess;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

export interface OperationEntry {
  method: string;
  path: string;
  operation: Operation;
}

/** The operations in document order: by path, then method. */
export const operationsOf = (doc: OpenApiDocument): OperationEntry[] =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method, path, operation })),
  );

/** Where the site-scoped operations live; the plugin and the report panel address them relative to it. */
export const SITE_PREFIX = `${API_PREFIX}/sites/{siteId}/`;

/**
 * The document the backend serves at /api/v1/openapi.json, read over HTTP from an app built with
 * defaults (no PUBLIC_URL, so the server is `/`): what is committed is exactly what is served.
 * Needs no database: nothing is queried.
 */
export async function readServedDocument(): Promise<OpenApiDocument> {
  const app = createApp({
    config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }),
    logger: createLogger('silent'),
  });
  const server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}${API_PREFIX}/openapi.json`);
    if (!res.ok) throw new Error(`GET ${API_PREFIX}/openapi.json answered ${res.status}`);
    return (await res.json()) as OpenApiDocument;
  } finally {
    server.close();
  }
}
