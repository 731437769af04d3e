import { readFileSync } from 'node:fs';
import path from 'node:path';

import { WORDPRESS_EXTENSION } from '../lib/http';
import { operationsOf, readServedDocument, SITE_PREFIX, type JsonSchema, type OpenApiDocument } from './document';
import { staleFiles } from './files';
import { tsType } from './typescript';

/** The OpenAPI document is the contract: admin-ui's types and the plugin's proxy table are generated from it. */

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ACCESS = ['read', 'write', 'admin', 'backend-only'];

let doc: OpenApiDocument;

beforeAll(async () => {
  doc = await readServedDocument();
});

const label = ({ method, operation }: ReturnType<typeof operationsOf>[number]) =>
  `${method.toUpperCase()} ${operation.operationId}`;

function resolved(schema: JsonSchema): JsonSchema {
  return schema.$ref ? resolved(doc.components.schemas[schema.$ref.split('/').pop()!] ?? {}) : schema;
}

/** A body a client can type: named properties, typed items or a union of such, not `{}` or a bare map. */
function isTyped(schema: JsonSchema): boolean {
  const s = resolved(schema);
  const union = s.anyOf ?? s.oneOf ?? s.allOf;
  if (union) return union.every(isTyped);
  if (s.type === 'array') return s.items !== undefined && isTyped(s.items);
  return Object.keys(s.properties ?? {}).length > 0;
}

/** Where a schema, or one it refers to, declares a default (each component visited once). */
function defaultsIn(schema: JsonSchema, where: string, seen: Set<string>): string[] {
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    if (seen.has(name)) return [];
    seen.add(name);
    return defaultsIn(doc.components.schemas[name] ?? {}, name, seen);
  }
  const found = schema.default === undefined ? [] : [where];
  const nested: Array<[string, JsonSchema]> = [
    ...Object.entries(schema.properties ?? {}).map(([name, s]): [string, JsonSchema] => [`${where}.${name}`, s]),
    ...[...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])].map((s): [string, JsonSchema] => [
      where,
      s,
    ]),
    ...(schema.items ? [[`${where}[]`, schema.items] as [string, JsonSchema]] : []),
    ...(typeof schema.additionalProperties === 'object'
      ? [[`${where}{}`, schema.additionalProperties] as [string, JsonSchema]]
      : []),
  ];
  return [...found, ...nested.flatMap(([w, s]) => defaultsIn(s, w, seen))];
}

describe('the API contract (npm run contract)', () => {
  it('when the backend changes, then the committed generated files are regenerated with it', async () => {
    const stale = await staleFiles(doc, ROOT, (file) => {
      try {
        return readFileSync(path.join(ROOT, file), 'utf8');
      } catch {
        return undefined;
      }
    });

    expect({ stale, fix: 'run `npm run contract` and commit the files' }).toEqual({
      stale: [],
      fix: 'run `npm run contract` and commit the files',
    });
  });

  it('when read, then every operation says whether the plugin proxies it, and only site operations are proxied', () => {
    const ops = operationsOf(doc);
    const unmarked = ops.filter(({ operation }) => !ACCESS.includes(operation[WORDPRESS_EXTENSION] ?? '')).map(label);
    const proxiedElsewhere = ops
      .filter(
        ({ path: p, operation }) => operation[WORDPRESS_EXTENSION] !== 'backend-only' && !p.startsWith(SITE_PREFIX),
      )
      .map(label);

    expect(unmarked).toEqual([]);
    expect(proxiedElsewhere).toEqual([]);
    expect(ops.filter(({ operation }) => operation[WORDPRESS_EXTENSION] === 'read').length).toBeGreaterThan(10);
  });

  it('when read, then every success with a body declares it: a typed JSON schema, or a file', () => {
    const problems: string[] = [];
    for (const entry of operationsOf(doc)) {
      for (const [status, response] of Object.entries(entry.operation.responses)) {
        if (!status.startsWith('2')) continue;
        const content = response.content ?? {};
        if (Object.keys(content).length === 0) {
          // 204 has no body by definition; a 202 here is an acknowledgement the handler ends empty.
          if (status !== '204' && status !== '202') problems.push(`${label(entry)} ${status}: no body declared`);
          continue;
        }
        for (const [type, { schema }] of Object.entries(content)) {
          const file = schema.type === 'string' && schema.format === 'binary';
          if (!file && !isTyped(schema)) problems.push(`${label(entry)} ${status} ${type}: untyped ${tsType(schema)}`);
        }
      }
    }

    expect(problems).toEqual([]);
  });

  it('when read, then success answers describe what is sent: no field of theirs has a default', () => {
    // A default belongs to the input side, where zod-to-openapi makes the field optional; an answer always has it.
    const seen = new Set<string>();
    const problems = operationsOf(doc).flatMap((entry) =>
      Object.entries(entry.operation.responses)
        .filter(([status]) => status.startsWith('2'))
        .flatMap(([status, response]) =>
          Object.values(response.content ?? {}).flatMap(({ schema }) =>
            defaultsIn(schema, `${label(entry)} ${status}`, seen),
          ),
        ),
    );

    expect(problems).toEqual([]);
    expect(
      defaultsIn({ type: 'object', properties: { a: { type: 'boolean', default: true } } }, 'x', new Set()),
    ).toEqual(['x.a']);
  });

  it('when a schema is untyped, then the check above says so', () => {
    expect(isTyped({ type: 'object', additionalProperties: {} })).toBe(false);
    expect(isTyped({})).toBe(false);
    expect(isTyped({ type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } })).toBe(true);
  });
});
