import { WORDPRESS_EXTENSION } from '../lib/http';
import { operationsOf, SITE_PREFIX, type JsonSchema, type OpenApiDocument } from './document';

type PhpValue = string | number | boolean | PhpValue[] | PhpArray;
/** An associative array, in insertion order (a Map: keys come from the document). */
type PhpArray = Map<string, PhpValue>;

/** Formats WordPress's REST API can check; any other `format` is left to the backend. */
const WP_FORMATS = new Set(['email', 'uri', 'date-time', 'uuid', 'ip', 'hex-color']);

const phpString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** PHP source in the WordPress coding standard: long arrays, tabs, aligned `=>`. */
function php(value: PhpValue, depth: number): string {
  if (typeof value === 'string') return phpString(value);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) {
    if (value.length === 0) return 'array()';
    if (value.every((item) => typeof item !== 'object'))
      return `array( ${value.map((v) => php(v, depth)).join(', ')} )`;
    const inner = '\t'.repeat(depth + 1);
    return `array(\n${value.map((v) => `${inner}${php(v, depth + 1)},`).join('\n')}\n${'\t'.repeat(depth)})`;
  }
  const entries = [...value];
  if (entries.length === 0) return 'array()';
  const width = Math.max(...entries.map(([k]) => phpString(k).length));
  const inner = '\t'.repeat(depth + 1);
  const lines = entries.map(([k, v]) => `${inner}${phpString(k).padEnd(width)} => ${php(v, depth + 1)},`);
  return `array(\n${lines.join('\n')}\n${'\t'.repeat(depth)})`;
}

/** A JavaScript pattern as WordPress matches it (PCRE, where `$` also matches before a final newline). */
const pcre = (pattern: string) => pattern.replace(/(?<!\\)\$$/, '\\z');

function resolve(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const target = doc.components.schemas[schema.$ref.slice(schema.$ref.lastIndexOf('/') + 1)];
  if (!target) throw new Error(`Unresolved ${schema.$ref}`);
  return resolve(doc, target);
}

/** The WordPress REST argument schema of a JSON Schema: the keywords WordPress validates. */
function wpSchema(doc: OpenApiDocument, input: JsonSchema): PhpArray {
  const schema = resolve(doc, input);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) {
    const members = union.filter((s) => s.type !== 'null');
    return members.length === 1
      ? wpSchema(doc, members[0]!)
      : new Map([['anyOf', members.map((s) => wpSchema(doc, s))]]);
  }
  const out: PhpArray = new Map();
  const types = (Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []).filter(
    (t) => t !== 'null',
  );
  if (types.length > 0) out.set('type', types.length === 1 ? types[0]! : types);
  if (schema.enum) out.set('enum', schema.enum as PhpValue[]);
  if (schema.pattern) out.set('pattern', pcre(schema.pattern));
  if (schema.format && WP_FORMATS.has(schema.format)) out.set('format', schema.format);
  for (const bound of ['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems'] as const) {
    if (schema[bound] !== undefined) out.set(bound, schema[bound]);
  }
  if (schema.items) out.set('items', wpSchema(doc, schema.items));
  if (schema.properties) {
    const required = new Set(schema.required ?? []);
    const properties: PhpArray = new Map();
    for (const [name, property] of Object.entries(schema.properties)) {
      properties.set(name, wpSchema(doc, property).set('required', required.has(name)));
    }
    out.set('properties', properties);
    if (schema.additionalProperties === false) out.set('additionalProperties', false);
  }
  return out;
}

/** `stats/breakdown/{dimension}` with its parameter's schema → `stats/breakdown/(?P<dimension>page|…)`. */
function routeRegex(relative: string, params: Map<string, JsonSchema>): string {
  return relative.replace(/\{(\w+)\}/g, (_, name: string) => {
    const schema = params.get(name);
    if (schema?.enum) return `(?P<${name}>${schema.enum.map(String).join('|')})`;
    if (schema?.pattern) return `(?P<${name}>${schema.pattern.replace(/^\^/, '').replace(/\$$/, '')})`;
    return `(?P<${name}>[^/]+)`;
  });
}

/**
 * The plugin's proxy table: every operation the document marks as reached from WordPress, keyed
 * by operationId, with its route under `clickpath/v1` (the path relative to the site), method,
 * access and argument schemas: the query parameters of a proxied read or write, the body's
 * properties of an administrators-only relay.
 */
export function renderPhpRoutes(doc: OpenApiDocument): string {
  const table: PhpArray = new Map();
  for (const { method, path, operation } of operationsOf(doc)) {
    const access = operation[WORDPRESS_EXTENSION];
    if (!access) throw new Error(`${operation.operationId} does not say how WordPress reaches it`);
    if (access === 'backend-only') continue;
    if (!path.startsWith(SITE_PREFIX)) throw new Error(`${operation.operationId} is proxied but not under a site`);
    const parameters = operation.parameters ?? [];
    const pathParams = new Map(parameters.filter((p) => p.in === 'path').map((p) => [p.name, resolve(doc, p.schema)]));
    const args: PhpArray = new Map();
    if (access === 'admin') {
      const body = operation.requestBody?.content['application/json']?.schema;
      const schema = body ? resolve(doc, body) : {};
      const required = new Set(schema.required ?? []);
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        args.set(name, wpSchema(doc, property).set('required', required.has(name)));
      }
    } else {
      for (const p of parameters.filter((p) => p.in === 'query')) {
        args.set(p.name, wpSchema(doc, p.schema).set('required', p.required === true));
      }
    }
    table.set(
      operation.operationId,
      new Map<string, PhpValue>([
        ['route', routeRegex(path.slice(SITE_PREFIX.length), pathParams)],
        ['method', method.toUpperCase()],
        ['access', access],
        ['args', args],
      ]),
    );
  }
  return [
    '<?php',
    '/**',
    ' * The REST routes the plugin proxies to the backend, generated by `npm run contract` from the',
    " * backend's OpenAPI document (docs/openapi.json). Do not edit: change the backend's route and",
    ' * regenerate. Rest registers them; `access` is read (stats capability), write (settings',
    ' * capability) or admin (administrators-only relay of the validated arguments as the JSON body).',
    ' *',
    ' * @package Clickpath',
    ' */',
    '',
    'namespace Clickpath;',
    '',
    "defined( 'ABSPATH' ) || exit;",
    '',
    'final class Api_Routes {',
    '',
    '\t/** Route (a regex under clickpath/v1), method, access and argument schemas, by operationId. */',
    `\tpublic const OPERATIONS = ${php(table, 1)};`,
    '}',
    '',
  ].join('\n');
}
