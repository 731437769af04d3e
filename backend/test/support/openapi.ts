import type { Express } from 'express';
import request from 'supertest';

/** The slice of JSON Schema the generated OpenAPI document uses. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  pattern?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  default?: unknown;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

interface OpenApiOperation {
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: 'path' | 'query' | 'header' | 'cookie'; schema: JsonSchema }>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Operation {
  method: Method;
  /** The documented path, e.g. `/api/v1/sites/{siteId}`. */
  path: string;
  auth: 'none' | 'session' | 'session-or-key';
  pathParams: string[];
  /** Each path parameter's schema (patterns tell an object id from a free-form id). */
  pathSchemas: Record<string, JsonSchema>;
  queryParams: Array<{ name: string; schema: JsonSchema }>;
  body: JsonSchema | undefined;
}

/**
 * Every operation of the API the running app documents, so suites that walk them cover new routes
 * automatically. The collector (`/api/event`, documented too) has suites of its own.
 */
export async function listOperations(app: Express): Promise<{ doc: OpenApiDocument; operations: Operation[] }> {
  const res = await request(app).get('/api/v1/openapi.json');
  if (res.status !== 200) throw new Error(`openapi.json answered ${res.status}`);
  const doc = res.body as OpenApiDocument;
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const [method, op] of Object.entries(methods)) {
      const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
      const params = op.parameters ?? [];
      operations.push({
        method: method as Method,
        path,
        auth: schemes.includes('apiKey') ? 'session-or-key' : schemes.includes('session') ? 'session' : 'none',
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        pathSchemas: Object.fromEntries(params.filter((p) => p.in === 'path').map((p) => [p.name, p.schema])),
        queryParams: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema })),
        body: op.requestBody?.content['application/json']?.schema,
      });
    }
  }
  return { doc, operations };
}

/** Substitutes `{name}` placeholders; values are used as given (already encoded where that matters). */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for path parameter ${name} in ${path}`);
    return value;
  });
}

export function resolveSchema(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const resolved = doc.components.schemas[name];
  if (!resolved) throw new Error(`unresolved ${schema.$ref}`);
  return resolveSchema(doc, resolved);
}

/** Paths to every property of an object schema, nested objects included (`['settings', 'identityMode']`). */
export function fieldPaths(doc: OpenApiDocument, schema: JsonSchema, prefix: string[] = []): string[][] {
  const resolved = resolveSchema(doc, schema);
  const paths: string[][] = [];
  for (const [name, property] of Object.entries(resolved.properties ?? {})) {
    const path = [...prefix, name];
    paths.push(path);
    if (resolveSchema(doc, property).properties) paths.push(...fieldPaths(doc, property, path));
  }
  return paths;
}

/** A value the schema accepts, for routes no suite has a hand-written body for yet. */
export function exampleFor(doc: OpenApiDocument, schema: JsonSchema): unknown {
  const s = resolveSchema(doc, schema);
  if (s.default !== undefined) return s.default;
  if (s.enum?.length) return s.enum[0];
  const variant = s.anyOf?.[0] ?? s.oneOf?.[0];
  if (variant) return exampleFor(doc, variant);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(s.properties ?? {})) value[name] = exampleFor(doc, property);
      return value;
    }
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => exampleFor(doc, s.items ?? {}));
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return false;
    default:
      if (s.format === 'email') return 'someone@example.com';
      return 'x'.repeat(Math.max(s.minLength ?? 1, 1));
  }
}

/** A copy of `body` with the value at `path` replaced. */
export function withField(body: unknown, path: string[], value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const base = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
  return { ...base, [head]: withField((base as Record<string, unknown>)[head], rest, value) };
}
