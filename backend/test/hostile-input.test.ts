import { Types } from 'mongoose';
import request from 'supertest';

import { addMember, createKey, createSite, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import {
  exampleFor,
  fieldPaths,
  fillPath,
  listOperations,
  resolveSchema,
  withField,
  type JsonSchema,
  type OpenApiDocument,
  type Operation,
} from './support/openapi';

/**
 * Hostile input: every body field, query and path parameter of every documented
 * route gets operator objects, wrong types, huge strings and unknown fields, with
 * valid credentials so each request reaches validation. Every answer must be a
 * 4xx in the one error shape, and nothing may be stored.
 */

let t: TestApp;
let doc: OpenApiDocument;
let operations: Operation[];
let owner: TestUser;
let invitee: TestUser;
let member: TestUser;
let validIds: Record<string, string>;

const ERROR_CODES = [
  'bad_request',
  'validation_failed',
  'unauthenticated',
  'forbidden',
  'csrf_rejected',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
];
// Counters and sessions legitimately change on any request; everything else must not.
const VOLATILE = new Set(['ratelimits', 'sessions']);
/** The audit log's months: a data-subject request for a literal id is answered, and audited, even when it finds nobody. */
const AUDIT_PARTITION = /^audit_\d{6}$/;
const LITERAL_ID_ACTIONS = ['person.exported', 'person.erased'];

const HOSTILE_VALUES: Array<[string, unknown]> = [
  ['{$ne:""}', { $ne: '' }],
  ['{$gt:""}', { $gt: '' }],
  ['{$where}', { $where: 'sleep(100)' }],
  ['{$regex}', { $regex: '.*' }],
  ['a number', 12345],
  ['an array', [1, 2]],
  ['null', null],
  ['a nested object', { nested: { deep: true } }],
  ['a 100k string', 'x'.repeat(100_000)],
];

/** Near-miss object ids: hostile only where the parameter is an object id. */
const ID_SHAPED = new Set(['25 hex chars', '23 hex chars', 'a 24-char non-hex id']);
const OBJECT_ID_PATTERN = '^[a-fA-F0-9]{24}$';
const HOSTILE_PATH_VALUES: Array<[string, string]> = [
  ['{"$ne":1}', encodeURIComponent('{"$ne":1}')],
  ['$ne', '%24ne'],
  ['../../etc (raw)', '../../etc'],
  ['../../etc (encoded)', encodeURIComponent('../../etc')],
  ['25 hex chars', 'a'.repeat(25)],
  ['23 hex chars', 'a'.repeat(23)],
  ['a 24-char non-hex id', 'z'.repeat(24)],
  ['a NUL byte', '%00'],
  ['a 10k string', 'a'.repeat(10_000)],
];

const HOSTILE_QUERIES = ['name[$ne]=x', 'siteId[$gt]=', '$where=sleep(100)', 'filter=%7B%22%24ne%22%3A1%7D', 'extra=1'];

beforeAll(async () => {
  t = await startTestApp();
  ({ doc, operations } = await listOperations(t.app));
  owner = await signUp(t.app);
  invitee = await signUp(t.app);
  member = await signUp(t.app);
  const site = await createSite(owner);
  await addMember(owner, site.id, member, 'viewer');
  const key = await createKey(owner, site.id);
  const goal = async (match: string) =>
    (await owner.agent.post(`/api/v1/sites/${site.id}/goals`).send({ name: match, kind: 'page', match })).body
      .id as string;
  const [goalId, secondGoalId] = [await goal('/pricing'), await goal('/signup')];
  validIds = {
    siteId: site.id,
    keyId: key.id,
    accountId: member.id,
    id: goalId,
    secondGoalId,
    dimension: 'page',
    visitorId: 'c:abcdefghijkl',
    userId: 'user-1',
    invitationId: (
      await owner.agent.post(`/api/v1/sites/${site.id}/members`).send({ email: 'pending@example.com', role: 'viewer' })
    ).body.id,
    webhookId: (
      await owner.agent
        .post(`/api/v1/sites/${site.id}/webhooks`)
        .send({ url: 'https://93.184.215.14/hooks/clickpath', events: ['summary.weekly'] })
    ).body.id,
    subscriptionId: (
      await owner.agent
        .post(`/api/v1/sites/${site.id}/email-reports`)
        .send({ email: 'r@example.com', frequency: 'weekly' })
    ).body.id,
  };
});
afterAll(() => t.close());

/** A body each route would accept, so only the one hostile part is wrong. */
const validBodies = (): Record<string, unknown> => ({
  'post /api/v1/auth/signup': { email: 'fresh@example.com', password: 'correct horse battery staple', name: 'Fresh' },
  'post /api/v1/auth/login': { email: owner.email, password: owner.password },
  'patch /api/v1/account': { name: 'Renamed', email: 'renamed@example.com' },
  'delete /api/v1/account': { password: owner.password },
  'put /api/v1/account/password': { currentPassword: owner.password, newPassword: 'another fine passphrase 42' },
  'post /api/v1/auth/verify-email': { token: 'A'.repeat(43) },
  'post /api/v1/auth/password-reset': { email: 'fresh@example.com' },
  'post /api/v1/auth/login/two-factor': { challenge: 'A'.repeat(43), code: '123456' },
  'post /api/v1/account/two-factor/setup': { password: owner.password },
  'post /api/v1/account/two-factor/confirm': { code: '123456' },
  'post /api/v1/account/two-factor/recovery-codes': { code: '123456' },
  'delete /api/v1/account/two-factor': { password: owner.password, code: '123456' },
  'put /api/v1/sites/{siteId}/two-factor-policy': { required: false },
  'post /api/v1/auth/password-reset/confirm': { token: 'A'.repeat(43), password: 'another fine passphrase 42' },
  'post /api/v1/invitations/link': { token: 'A'.repeat(43) },
  'post /api/v1/invitations/link/accept': { token: 'A'.repeat(43) },
  'post /api/v1/invitations/link/decline': { token: 'A'.repeat(43) },
  'post /api/v1/invitations/link/signup': {
    token: 'A'.repeat(43),
    name: 'New',
    password: 'another fine passphrase 42',
  },
  'post /api/v1/sites': {
    name: 'New',
    domain: 'new.example',
    timezone: 'UTC',
    settings: {
      identityMode: 'cookieless',
      honorDoNotTrack: true,
      visitTimeoutMinutes: 30,
      excludedIps: ['10.0.0.0/8'],
      rawEventRetentionDays: 30,
    },
  },
  'patch /api/v1/sites/{siteId}': {
    name: 'New',
    domain: 'new.example',
    timezone: 'UTC',
    settings: {
      identityMode: 'first-party',
      honorDoNotTrack: true,
      visitTimeoutMinutes: 30,
      excludedIps: ['10.0.0.1'],
      rawEventRetentionDays: 30,
    },
  },
  'post /api/v1/sites/{siteId}/members': { email: invitee.email, role: 'viewer' },
  'post /api/v1/sites/{siteId}/owner': { accountId: '0123456789abcdef01234567' },
  'patch /api/v1/sites/{siteId}/members/{accountId}': { role: 'admin' },
  'post /api/v1/sites/{siteId}/keys': { name: 'New key', scopes: ['stats:read'] },
  'post /api/v1/sites/{siteId}/goals': {
    name: 'Signup',
    kind: 'event',
    match: 'signup',
    propKey: 'plan',
    propValue: 'pro',
  },
  'patch /api/v1/sites/{siteId}/goals/{id}': { name: 'Renamed', match: '/pricing*', propKey: '', propValue: '' },
  'post /api/v1/sites/{siteId}/funnels': { name: 'Pricing to signup', steps: [validIds.id, validIds.secondGoalId] },
  'post /api/v1/sites/{siteId}/annotations': { day: '2026-03-01', text: 'Launched' },
  'post /api/v1/sites/{siteId}/webhooks': {
    url: 'https://93.184.215.14/hooks/new',
    events: ['alert.traffic_spike', 'alert.traffic_drop'],
    description: 'Relay',
  },
  'put /api/v1/sites/{siteId}/alerts': {
    spike: { enabled: true, threshold: 500 },
    drop: { enabled: true, percent: 50 },
    email: true,
    recipients: [],
  },
  'post /api/v1/sites/{siteId}/email-reports': { email: 'other@example.com', frequency: 'weekly', weekday: 2 },
});

async function counts(): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const { name } of await t.db.listCollections().toArray()) {
    if (!VOLATILE.has(name) && !AUDIT_PARTITION.test(name)) result[name] = await t.db.collection(name).countDocuments();
  }
  return result;
}

async function auditEntries(): Promise<Array<{ _id: unknown; action: string }>> {
  const names = (await t.db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((name) => AUDIT_PARTITION.test(name));
  const perMonth = await Promise.all(
    names.map((name) =>
      t.db
        .collection<{ _id: unknown; action: string }>(name)
        .find({}, { projection: { action: 1 } })
        .toArray(),
    ),
  );
  return perMonth.flat();
}

/** Problems with one answer: anything but a 4xx carrying exactly `{ error: { code, message, details? } }`. */
function checkRefusal(where: string, res: request.Response): string[] {
  const problems: string[] = [];
  if (res.status < 400 || res.status >= 500) problems.push(`${where}: status ${res.status} ${res.text.slice(0, 300)}`);
  if (!/application\/json/.test(res.headers['content-type'] ?? '')) {
    problems.push(`${where}: content-type ${res.headers['content-type']}`);
  }
  const body = res.body as { error?: Record<string, unknown> };
  const error = body?.error;
  const shapeOk =
    typeof body === 'object' &&
    body !== null &&
    Object.keys(body).join() === 'error' &&
    typeof error === 'object' &&
    error !== null &&
    Object.keys(error).every((k) => ['code', 'message', 'details'].includes(k)) &&
    typeof error.code === 'string' &&
    ERROR_CODES.includes(error.code) &&
    typeof error.message === 'string';
  if (!shapeOk) problems.push(`${where}: not the error shape: ${res.text.slice(0, 300)}`);
  if (/\bat .+\.(ts|js):\d+/.test(res.text)) problems.push(`${where}: leaks a stack trace`);
  return problems;
}

interface Attempt {
  label: string;
  url: string;
  body?: unknown;
  /** For a parameter that takes any text (a people id), the value as the route must take it: literally. */
  literal?: string;
}

/** Path parameters that accept any text (issue 17, item 7): a hostile value is a legal id there, matching nobody. */
const FREE_TEXT_PARAMS = new Set(['userId']);

/** The schema of the property at `path` of a body schema. */
function fieldSchema(schema: JsonSchema, path: string[]): JsonSchema {
  return path.reduce((s, name) => resolveSchema(doc, resolveSchema(doc, s).properties?.[name] ?? {}), schema);
}

/** Whether a "hostile" value is simply a valid one for the field: a number in range for a numeric field. */
function acceptsValue(schema: JsonSchema, value: unknown): boolean {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (typeof value !== 'number' || (type !== 'integer' && type !== 'number')) return false;
  return value >= (schema.minimum ?? -Infinity) && value <= (schema.maximum ?? Infinity);
}

/** Every hostile variant of one route. */
function attemptsFor(op: Operation, validBody: unknown): Attempt[] {
  const url = fillPath(op.path, validIds);
  const attempts: Attempt[] = [];
  const withBody = (label: string, body: unknown, at = url) => attempts.push({ label, url: at, body });

  if (op.body) {
    for (const path of fieldPaths(doc, op.body)) {
      for (const [name, value] of HOSTILE_VALUES) {
        if (acceptsValue(fieldSchema(op.body, path), value)) continue;
        withBody(`body.${path.join('.')} = ${name}`, withField(validBody, path, value));
      }
      const parent = path.slice(0, -1);
      withBody(`unknown field beside body.${path.join('.')}`, withField(validBody, [...parent, 'unexpected'], 1));
      withBody(`$where beside body.${path.join('.')}`, withField(validBody, [...parent, '$where'], 'sleep(100)'));
    }
    for (const [name, value] of HOSTILE_VALUES) {
      if (value !== null && typeof value === 'object') withBody(`whole body = ${name}`, value);
    }
  } else {
    withBody('a body on a route that takes none', { $where: 'sleep(100)', extra: 1 });
  }

  for (const param of op.pathParams) {
    for (const [name, raw] of HOSTILE_PATH_VALUES) {
      if (ID_SHAPED.has(name) && op.pathSchemas[param]?.pattern !== OBJECT_ID_PATTERN) continue;
      const at = fillPath(op.path, { ...validIds, [param]: raw });
      const literal = FREE_TEXT_PARAMS.has(param) && !raw.includes('/') ? { literal: decodeURIComponent(raw) } : {};
      attempts.push({ label: `path ${param} = ${name}`, url: at, ...literal, ...(op.body ? { body: validBody } : {}) });
    }
  }

  for (const { name } of op.queryParams) {
    for (const [label, value] of HOSTILE_VALUES) {
      // Node answers 431 itself to a request line over its 16 KB header limit, before any route runs.
      const sent = typeof value === 'string' && value.length > 8_000 ? value.slice(0, 8_000) : value;
      const encoded = encodeURIComponent(typeof sent === 'string' ? sent : JSON.stringify(sent));
      attempts.push({ label: `query ${name} = ${label}`, url: `${url}?${name}=${encoded}` });
      attempts.push({ label: `query ${name}[$ne]`, url: `${url}?${name}[$ne]=x` });
    }
  }
  for (const query of HOSTILE_QUERIES) {
    attempts.push({ label: `query ${query}`, url: `${url}?${query}`, ...(op.body ? { body: validBody } : {}) });
  }
  return attempts;
}

describe('hostile input', () => {
  it('when the OpenAPI document is read, then every route with a body has a hand-written valid body', () => {
    const bodies = validBodies();
    const missing = operations.filter((op) => op.body && !(`${op.method} ${op.path}` in bodies));
    expect(missing.map((op) => `${op.method} ${op.path}`)).toEqual([]);
    expect(operations.length).toBeGreaterThanOrEqual(18);
  });

  // Several hundred requests against every route: more than jest's default 30 s on a busy machine.
  it('when every field and parameter of every route gets hostile values, then each answer is a 4xx error and nothing is stored', async () => {
    const bodies = validBodies();
    const before = await counts();
    const auditedBefore = new Set((await auditEntries()).map((e) => String(e._id)));
    const problems: string[] = [];
    let sent = 0;
    // Near-miss ids go to object-id parameters only: the document must still mark them as such.
    expect(operations.filter((op) => op.pathSchemas.siteId?.pattern === OBJECT_ID_PATTERN).length).toBeGreaterThan(20);
    for (const op of operations) {
      const validBody = bodies[`${op.method} ${op.path}`] ?? (op.body ? exampleFor(doc, op.body) : undefined);
      for (const attempt of attemptsFor(op, validBody)) {
        let req = owner.agent[op.method](attempt.url);
        if (attempt.body !== undefined) req = req.send(attempt.body as object);
        const res = await req;
        sent += 1;
        const where = `${op.method.toUpperCase()} ${op.path} with ${attempt.label}`;
        if (attempt.literal !== undefined && res.status === 200) {
          const body = res.body as { userId?: unknown; visitors?: unknown; events?: unknown };
          const exported =
            body.userId === attempt.literal && Array.isArray(body.visitors) && body.visitors.length === 0;
          const erasedNobody = body.visitors === 0 && body.events === 0;
          if (!exported && !erasedNobody)
            problems.push(`${where}: not taken as literal text: ${res.text.slice(0, 300)}`);
          continue;
        }
        problems.push(...checkRefusal(where, res));
        // With valid credentials, bad bodies and queries must be stopped by validation, not by a later check.
        if (!attempt.label.startsWith('path') && res.status !== 400)
          problems.push(`${where}: ${res.status}, expected 400`);
      }
    }
    expect(problems).toEqual([]);
    expect(sent).toBeGreaterThan(500);
    expect(await counts()).toEqual(before);
    const audited = (await auditEntries()).filter((e) => !auditedBefore.has(String(e._id)));
    expect(audited.filter((e) => !LITERAL_ID_ACTIONS.includes(e.action))).toEqual([]);
    // A lost session would turn later refusals into 401s and hide real failures.
    expect((await owner.agent.get('/api/v1/account')).status).toBe(200);
    expect(await t.db.collection('sites').countDocuments({ _id: new Types.ObjectId(validIds.siteId) })).toBe(1);
  }, 180_000);

  it('when the body is malformed JSON, then 400 and nothing is stored', async () => {
    const before = await counts();
    const res = await owner.agent.post('/api/v1/sites').set('Content-Type', 'application/json').send('{"name": "x",');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'bad_request', message: 'Request body is not valid JSON' } });
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['a JSON string', '"just a string"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
  ])('when the body is %s, then 400', async (_label, raw) => {
    const res = await owner.agent.post('/api/v1/sites').set('Content-Type', 'application/json').send(raw);
    expect(res.status).toBe(400);
    expect(checkRefusal('POST /sites', res)).toEqual([]);
  });

  it('when the body is 2 MB, then 413 and nothing is stored', async () => {
    const before = await counts();
    const res = await owner.agent
      .post('/api/v1/sites')
      .send({ name: 'Big', domain: 'big.example', pad: 'x'.repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: { code: 'payload_too_large', message: 'Request body is too large' } });
    expect(await counts()).toEqual(before);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    'when a JSON route gets Content-Type %s, then 415 and nothing is stored',
    async (type) => {
      const before = await counts();
      const res = await owner.agent
        .post('/api/v1/sites')
        .set('Content-Type', type)
        .send(JSON.stringify({ name: 'Plain', domain: 'plain.example' }));
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('unsupported_media_type');
      expect(await counts()).toEqual(before);
    },
  );

  it('when query-string operator syntax is used on a list, then it is refused rather than used as a filter', async () => {
    const res = await owner.agent.get('/api/v1/sites?name[$ne]=x');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });

  it('when an operator is sent where an email is looked up, then no member is added', async () => {
    const before = await counts();
    const res = await owner.agent
      .post(`/api/v1/sites/${validIds.siteId}/members`)
      .send({ email: { $regex: '.*' }, role: 'admin' });
    expect(res.status).toBe(400);
    expect(await counts()).toEqual(before);
  });

  it('when the bearer token is an operator-looking string, then 401', async () => {
    const res = await request(t.app).get('/api/v1/me').set('Authorization', 'Bearer {"$ne":""}');
    expect(res.status).toBe(401);
    expect(checkRefusal('GET /me', res)).toEqual([]);
  });

  it('when the documented id pattern is used as a regex, then it matches real ids and nothing else', () => {
    const param = Object.values(doc.paths)
      .flatMap((methods) => Object.values(methods))
      .flatMap((op) => (op as { parameters?: Array<{ name: string; schema: { pattern?: string } }> }).parameters ?? [])
      .find((p) => p.name === 'siteId');
    const pattern = new RegExp(param?.schema.pattern ?? '(?!)');
    expect(pattern.test(validIds.siteId as string)).toBe(true);
    expect(pattern.test('a'.repeat(25))).toBe(false);
  });
});
