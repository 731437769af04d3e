import { createSite, signUp, startTestApp, type TestApp, type TestSite } from './support/app';
import { countEvents, DESKTOP_UA, listen, pageview, pool } from './support/collect';

/**
 * Hostile input for the collector: 10,000 generated bodies, each broken on purpose
 * (wrong types, NoSQL operators, prototype keys, oversized or deep values, bad URLs,
 * bad JSON, random bytes, bad batches). Every one must get a 4xx, none a 5xx, and
 * nothing may be stored. The PRNG is seeded, so a failure names a reproducible case.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_613);
const CASES = 10_000;
const CONCURRENCY = 20;

type Json = Record<string, unknown>;
interface Case {
  label: string;
  body: string | Buffer;
  contentType?: string;
}

/** mulberry32: small, fast and good enough to pick cases. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  return { next, int, pick };
}

const STRING_FIELDS = ['s', 'i', 'k', 'u', 'r', 't', 'l', 'n', 'v', 'uid'] as const;
const NUMBER_FIELDS = ['w', 'e'] as const;
const RECORD_FIELDS = ['p', 'tr'] as const;
const ALL_FIELDS = [...STRING_FIELDS, ...NUMBER_FIELDS, ...RECORD_FIELDS, 'nf'] as const;
const OPERATORS: unknown[] = [
  { $ne: '' },
  { $ne: null },
  { $gt: '' },
  { $gte: 0 },
  { $where: 'sleep(1000) || true' },
  { $regex: '.*' },
  { $regex: '^a', $options: 'i' },
  { $exists: true },
  { $in: ['a', 'b'] },
  { $expr: { $eq: [1, 1] } },
];
const OPERATOR_KEYS = ['$ne', '$gt', '$where', '$regex', '$set', '$unset', '$expr', 'a.b', '$', '.'];
const PROTO_KEYS = ['constructor', 'prototype'];
const BAD_URLS = [
  'javascript:alert(1)',
  'javascript://blog.example.com/%0aalert(1)',
  'data:text/html,<script>alert(1)</script>',
  'data:,x',
  'file:///etc/passwd',
  'file://blog.example.com/x',
  'ftp://blog.example.com/',
  'ws://blog.example.com/',
  'mailto:a@b.c',
  'about:blank',
  'blob:https://blog.example.com/uuid',
  '//blog.example.com/path',
  '/relative/path',
  'http//blog.example.com',
  'https://',
  'http://[::1',
  'https://exa mple.com/',
  '',
  ' ',
  'chrome://settings',
];
const JUNK_CHARS = [
  '\u0000',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\uffff',
  '💩',
  '𝕏',
  'é',
  'ß',
  '中',
  '\\',
  '"',
  '\n',
  '%',
  '$',
  '{',
];

function generate(seed: number, site: TestSite, other: TestSite) {
  const rnd = prng(seed);

  const junk = (length: number) => Array.from({ length }, () => rnd.pick(JUNK_CHARS)).join('');
  const big = (length: number) => rnd.pick(['x', 'é', '💩', '$ne', '%00']).repeat(length);
  const nested = (depth: number): unknown =>
    depth === 0 ? 1 : rnd.next() < 0.5 ? { a: nested(depth - 1) } : [nested(depth - 1)];

  const wrongType = (field: string): unknown => {
    if ((NUMBER_FIELDS as readonly string[]).includes(field)) {
      return rnd.pick(['1', '1280', true, null, [], {}, [1], 'NaN', 'Infinity', '-Infinity', '1e3', { $gt: 0 }]);
    }
    if ((RECORD_FIELDS as readonly string[]).includes(field)) return rnd.pick(['x', 1, true, null, [], [{ a: 1 }]]);
    if (field === 'nf') return rnd.pick([0, 2, -1, '1', true, null, [], {}, 'NaN', 1.5]);
    return rnd.pick([1, 0, -1, 1.5, true, false, null, [], ['x'], {}, { a: 'b' }]);
  };

  const oversized = (field: string): unknown => {
    const limits: Record<string, number> = {
      s: 33,
      i: 41,
      k: 3,
      u: 16_385,
      r: 16_385,
      t: 6_001,
      l: 36,
      n: 2_401,
      v: 41,
      uid: 4_001,
    };
    if (field === 'w' || field === 'e') {
      return field === 'w' ? rnd.pick([100_001, 2 ** 53 + 2, 1e308, -1, -1e308]) : rnd.pick([-1, -1e308, 0.5]);
    }
    if (field === 'nf') return rnd.pick([2, 1e308, -1]);
    if (field === 'p' || field === 'tr') {
      return rnd.pick([
        { a: big(10_001) },
        { [big(1_201)]: 'x' },
        Object.fromEntries(Array.from({ length: rnd.int(31, 200) }, (_, n) => [`k${n}`, n])),
      ]);
    }
    const limit = limits[field]!;
    const value = big(limit + rnd.int(0, 200));
    return field === 'u' ? `https://blog.example.com/${value}` : value;
  };

  // Each returns a change that on its own makes the event invalid.
  const breakers: Array<[string, (e: Json) => void]> = [
    ['missing required field', (e) => void delete e[rnd.pick(['s', 'i', 'k', 'u'])]],
    [
      'wrong type',
      (e) => {
        const field = rnd.pick(ALL_FIELDS);
        e[field] = wrongType(field);
      },
    ],
    [
      'operator value',
      (e) => {
        const field = rnd.pick([...STRING_FIELDS, ...NUMBER_FIELDS, 'nf'] as const);
        e[field] = rnd.pick(OPERATORS);
      },
    ],
    [
      'operator as record key',
      (e) => {
        const field = rnd.pick(RECORD_FIELDS);
        e[field] = { ...(e[field] as Json | undefined), [rnd.pick(OPERATOR_KEYS)]: rnd.pick(['x', 1, true]) };
      },
    ],
    [
      'operator in record value',
      (e) => {
        const field = rnd.pick(RECORD_FIELDS);
        e[field] = { a: rnd.pick(OPERATORS) };
      },
    ],
    [
      'prototype key in record',
      (e) => {
        const field = rnd.pick(RECORD_FIELDS);
        e[field] = { [rnd.pick(PROTO_KEYS)]: rnd.pick(['x', 1, { polluted: true }]) };
      },
    ],
    [
      'unknown top-level key',
      (e) => void (e[rnd.pick(['$where', '$set', 'constructor', 'ip', 'siteId', '_id', 'processed', 'x'])] = 'x'),
    ],
    [
      'oversized',
      (e) => {
        const field = rnd.pick(ALL_FIELDS);
        e[field] = oversized(field);
      },
    ],
    [
      'deep nesting',
      (e) => {
        e[rnd.pick(ALL_FIELDS)] = nested(rnd.int(2, 300));
      },
    ],
    ['bad url', (e) => void (e.u = rnd.pick(BAD_URLS))],
    [
      'unicode junk',
      (e) => {
        const field = rnd.pick(['s', 'i', 'k', 'l', 'v'] as const);
        e[field] = junk(rnd.int(1, 40));
      },
    ],
    ['unicode junk url', (e) => void (e.u = junk(rnd.int(1, 200)))],
    [
      'NaN or Infinity as string',
      (e) => void (e[rnd.pick(['w', 'e', 'nf'] as const)] = rnd.pick(['NaN', 'Infinity', '-Infinity', 'nan'])),
    ],
    [
      'number out of range',
      (e) => {
        const [field, values] = rnd.pick([
          ['w', [-1, 0.5, 100_001, 1e21, -1e21]],
          ['e', [-1, 0.5, -1e21]],
          ['nf', [0, 2, 1e21]],
        ] as const);
        e[field] = rnd.pick(values);
      },
    ],
  ];

  // Changes that are harmless on their own: they make broken events more hostile.
  const decorations: Array<(e: Json) => void> = [
    (e) => void (e.t = junk(rnd.int(1, 300))),
    (e) => void (e.p = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Json),
    (e) => void (e.r = `https://${junk(3)}.example/?q=${junk(5)}`),
    (e) => void (e.n = junk(rnd.int(1, 100))),
    (e) => void (e.s = other.publicId),
  ];

  const brokenEvent = (): { event: Json; label: string } => {
    const event = pageview(site.publicId, { k: rnd.pick(['pv', 'ev', 'en', 'id']) }) as Json;
    // Decorations first, so that no breaker is overwritten by a harmless value.
    if (rnd.next() < 0.3) rnd.pick(decorations)(event);
    const labels: string[] = [];
    for (let n = rnd.int(1, 3); n > 0; n--) {
      const [label, apply] = rnd.pick(breakers);
      apply(event);
      labels.push(label);
    }
    return { event, label: labels.join(' + ') };
  };

  const serialise = (value: unknown): string => JSON.stringify(value);

  const makers: Array<() => Case> = [
    () => {
      const { event, label } = brokenEvent();
      return { label, body: serialise(event) };
    },
    () => {
      const { event, label } = brokenEvent();
      return { label: `${label} (application/json)`, body: serialise(event), contentType: 'application/json' };
    },
    () => {
      const batch = Array.from({ length: rnd.int(1, 49) }, () => pageview(site.publicId));
      batch.splice(rnd.int(0, batch.length), 0, brokenEvent().event);
      return { label: 'batch with a broken event', body: serialise(batch) };
    },
    () => ({ label: 'empty batch', body: '[]' }),
    () => ({
      label: '51 events',
      body: serialise(Array.from({ length: rnd.int(51, 60) }, () => pageview(site.publicId))),
    }),
    () => ({
      label: 'mixed sites',
      body: serialise([pageview(site.publicId), pageview(other.publicId)].sort(() => rnd.next() - 0.5)),
    }),
    () => ({
      label: 'unknown site',
      body: serialise(pageview(`zz${rnd.int(100_000, 999_999)}xx`)),
    }),
    () => {
      const valid = serialise(pageview(site.publicId));
      const broken = rnd.pick([
        valid.slice(0, rnd.int(0, valid.length - 1)),
        `${valid.slice(0, -1)},}`,
        valid.replace(/"/g, "'"),
        valid.replace('1280', 'NaN'),
        valid.replace('1280', 'Infinity'),
        valid.replace('1280', '-Infinity'),
        valid.replace('1280', 'undefined'),
        valid.replace('1280', '0x500'),
        `\ufeff${valid}`,
        `${valid}${valid}`,
        `/* c */${valid}`,
        '',
        'null',
        'true',
        '0',
        '"string"',
        '[null]',
        '[[]]',
        '[1,2,3]',
      ]);
      return { label: 'invalid JSON or wrong top-level type', body: broken };
    },
    () => {
      const bytes = Buffer.alloc(rnd.int(1, 2_000));
      for (let n = 0; n < bytes.length; n++) bytes[n] = rnd.int(0, 255);
      return { label: 'random bytes', body: bytes };
    },
    () => ({ label: 'unicode junk body', body: junk(rnd.int(1, 500)) }),
    () => ({
      label: 'deeply nested body',
      body:
        rnd.next() < 0.5 ? '['.repeat(30_000) + ']'.repeat(30_000) : '{"a":'.repeat(6_000) + '1' + '}'.repeat(6_000),
    }),
    () => ({
      label: 'wrong content type',
      body: serialise(pageview(site.publicId)),
      contentType: rnd.pick(['application/x-www-form-urlencoded', 'text/html', 'image/png', 'application/xml', '']),
    }),
    () => ({
      label: 'body over 64 KB',
      body: serialise(pageview(site.publicId, { t: 'x'.repeat(rnd.int(66_000, 70_000)) })),
    }),
  ];

  return (): Case => rnd.pick(makers)();
}

let t: TestApp;
let server: Awaited<ReturnType<typeof listen>>;
let site: TestSite;
let other: TestSite;

beforeAll(async () => {
  t = await startTestApp();
  server = await listen(t.handler);
  const owner = await signUp(t.app);
  site = await createSite(owner);
  other = await createSite(owner, { name: 'Other', domain: 'other.example.com' });
});

afterAll(async () => {
  await server?.close();
  await t?.close();
});

/**
 * Sends a case and returns the collector's verdict on it. A 503 with Retry-After
 * is the collector shedding load before it reads the body (its event loop fell
 * 500 ms behind, as a busy test machine can make it): no verdict on the input,
 * so the case is sent again, as a client would, up to five times.
 */
async function send(c: Case, index: number): Promise<{ status: number; text: string }> {
  try {
    for (let attempt = 1; ; attempt += 1) {
      const res = await fetch(`${server.origin}/api/event`, {
        method: 'POST',
        headers: {
          'Content-Type': c.contentType ?? 'text/plain',
          'User-Agent': DESKTOP_UA,
          'X-Forwarded-For': `198.51.100.${(index % 250) + 1}`,
        },
        body: c.body,
      });
      const text = await res.text();
      if (res.status !== 503 || !res.headers.get('retry-after') || attempt === 5) return { status: res.status, text };
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  } catch (error) {
    // The 413 path may close the socket before the body is written: the answer still arrived if status was sent.
    return { status: 0, text: String((error as Error).cause ?? error) };
  }
}

describe('collector under hostile input', () => {
  it(`when ${CASES} hostile bodies arrive (seed ${SEED}), then every one gets a 4xx in the error shape, none a 5xx, and nothing is stored`, async () => {
    const control = await fetch(`${server.origin}/api/event`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'User-Agent': DESKTOP_UA },
      body: JSON.stringify(pageview(site.publicId)),
    });
    expect(control.status).toBe(202);
    const before = await countEvents(t.db);
    expect(before).toBe(1);

    const next = generate(SEED, site, other);
    const cases = Array.from({ length: CASES }, () => next());
    const results = await pool(cases.length, CONCURRENCY, (index) => send(cases[index]!, index));

    const failures = results
      .map((r, index) => ({ index, label: cases[index]!.label, ...r }))
      .filter(({ status, text }) => {
        if (status < 400 || status >= 500) return true;
        try {
          const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
          return typeof body.error?.code !== 'string' || typeof body.error.message !== 'string';
        } catch {
          return true;
        }
      })
      .map((f) => ({ ...f, text: f.text.slice(0, 300) }));
    const byStatus: Record<number, number> = {};
    for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;

    expect({ failures: failures.slice(0, 10), failed: failures.length }).toEqual({ failures: [], failed: 0 });
    expect(Object.keys(byStatus).every((s) => Number(s) >= 400 && Number(s) < 500)).toBe(true);
    expect(await countEvents(t.db)).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 120_000);
});
