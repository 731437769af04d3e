import { Types } from 'mongoose';
import request from 'supertest';

import { createSite, signUp, startTestApp, type TestApp, type TestSite, type TestUser } from '../../test/support/app';
import { expectError } from '../../test/support/assert';
import { countEvents, DESKTOP_UA, eventId, pageview, postEvent, storedEvents } from '../../test/support/collect';

/**
 * Collection acceptance (issue 3): `POST /api/event` through the full listener,
 * checking both the answer and what the `events` collection holds.
 */

let t: TestApp;
let owner: TestUser;
let site: TestSite;
let firstParty: TestSite;

beforeAll(async () => {
  t = await startTestApp();
  owner = await signUp(t.app);
  site = await createSite(owner);
  firstParty = await createSite(owner, { name: 'Shop', settings: { identityMode: 'first-party' } });
});

afterAll(async () => {
  await t?.close();
});

type Ev = Record<string, unknown>;

/** Posts one valid event with `overrides` and returns the stored document. */
async function store(overrides: Record<string, unknown> = {}, target: TestSite = site, ip?: string): Promise<Ev> {
  const event = pageview(target.publicId, overrides);
  const res = await postEvent(t.handler, event, ip ? { ip } : {});
  expect({ status: res.status, body: res.body as unknown }).toEqual({ status: 202, body: { accepted: 1 } });
  const [doc] = await storedEvents(t.db, { _id: `${target.id}:${String(event.i)}` });
  expect(doc).toBeDefined();
  return doc as Ev;
}

/** Asserts `body` is refused with 400 naming `field`, and that nothing was stored. */
async function expectInvalid(body: unknown, field: string): Promise<void> {
  const before = await countEvents(t.db);
  const res = await postEvent(t.handler, body);
  expectError(res, 400, 'validation_failed');
  expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
  expect(await countEvents(t.db)).toBe(before);
}

describe('field validation', () => {
  it('when a full pageview arrives, then it is stored enriched, in a visit and without the IP', async () => {
    const doc = await store({}, site, '8.8.8.8');
    expect(doc).toMatchObject({
      siteId: expect.anything(),
      kind: 'pv',
      host: 'blog.example.com',
      path: '/posts/hello',
      title: 'Hello',
      source: 'Direct',
      channel: 'Direct',
      browser: 'Chrome',
      os: 'Windows',
      device: 'desktop',
      screen: 'laptop',
      language: 'en-US',
      country: 'US',
      visitId: expect.stringContaining(site.id),
      vid: expect.stringMatching(/^c:[A-Za-z0-9_-]{22}$/),
    });
    expect(String(doc.siteId)).toBe(site.id);
    expect(doc.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(doc.hour).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}$/);
    expect(JSON.stringify(doc)).not.toContain('8.8.8.8');
  });

  describe('s (site id)', () => {
    it('when s is a known site, then the event is stored under that site', async () => {
      const doc = await store();
      expect(String(doc.siteId)).toBe(site.id);
    });
    it.each([
      ['too short', 'abc'],
      ['a symbol', 'site!site!site'],
      ['a number', 12345678],
      ['an operator', { $ne: '' }],
    ])('when s is %s, then 400 names s', async (_label, s) => {
      await expectInvalid(pageview(site.publicId, { s }), 's');
    });
    it('when s is well-formed but unknown, then 404 unknown_site and nothing is stored', async () => {
      const before = await countEvents(t.db);
      const res = await postEvent(t.handler, pageview('nosuchsite123'));
      expectError(res, 404, 'unknown_site');
      expect(await countEvents(t.db)).toBe(before);
    });
  });

  describe('i (event id)', () => {
    it('when i is given, then the stored _id is siteId:i', async () => {
      const i = eventId();
      const doc = await store({ i });
      expect(doc._id).toBe(`${site.id}:${i}`);
    });
    it.each([
      ['missing', undefined],
      ['too short', 'abc'],
      ['too long', 'x'.repeat(41)],
      ['with a colon', 'abcdefghij:k'],
    ])('when i is %s, then 400 names i', async (_label, i) => {
      const body = pageview(site.publicId);
      if (i === undefined) delete body.i;
      else body.i = i;
      await expectInvalid(body, 'i');
    });
  });

  describe('k (kind)', () => {
    it.each([
      ['pv', {}],
      ['ev', { n: 'signup' }],
      ['en', { e: 1200 }],
    ])('when k is %s, then the kind is stored', async (k, extra) => {
      expect((await store({ k, ...extra })).kind).toBe(k);
    });
    it.each([0, 1, 999])(
      'when an engagement of %i ms arrives (the residue of pagehide + visibilitychange), then it is accepted and not stored',
      async (e) => {
        const event = pageview(site.publicId, { k: 'en', e });
        const res = await postEvent(t.handler, event);
        expect({ status: res.status, body: res.body as unknown }).toEqual({ status: 202, body: { accepted: 0 } });
        expect(await storedEvents(t.db, { _id: `${site.id}:${String(event.i)}` })).toEqual([]);
      },
    );
    it.each([
      ['unknown', 'xx'],
      ['missing', undefined],
      ['a number', 1],
    ])('when k is %s, then 400 names k', async (_l, k) => {
      const body = pageview(site.publicId);
      if (k === undefined) delete body.k;
      else body.k = k;
      await expectInvalid(body, 'k');
    });
  });

  describe('u (page URL)', () => {
    it('when the path is percent-encoded, then it is stored decoded, with the host and without query or hash', async () => {
      const doc = await store({ u: 'https://www.blog.example.com/caf%C3%A9/men%C3%BC?x=1#top' });
      expect(doc).toMatchObject({ host: 'www.blog.example.com', path: '/café/menü' });
    });
    it('when the path encodes control characters, then they stay encoded', async () => {
      expect((await store({ u: 'https://blog.example.com/a%00b%0A%C3%A9' })).path).toBe('/a%00b%0A%C3%A9');
    });
    it('when the URL carries UTM tags, then source, medium, campaign, term and content are extracted', async () => {
      const doc = await store({
        u: 'https://blog.example.com/?utm_source=Newsletter&utm_medium=email&utm_campaign=spring&utm_term=shoes&utm_content=top',
      });
      expect(doc).toMatchObject({
        utmSource: 'Newsletter',
        utmMedium: 'email',
        utmCampaign: 'spring',
        utmTerm: 'shoes',
        utmContent: 'top',
        source: 'Newsletter',
        channel: 'Email',
      });
    });
    it('when the URL carries gclid, then the click id is stored and the channel is Paid from Google', async () => {
      const doc = await store({ u: 'https://blog.example.com/landing?gclid=abc123' });
      expect(doc).toMatchObject({ clickId: 'gclid', channel: 'Paid', source: 'Google' });
    });
    it('when the URL carries fbclid, then the channel is Organic Social', async () => {
      expect(await store({ u: 'https://blog.example.com/?fbclid=xyz' })).toMatchObject({
        clickId: 'fbclid',
        channel: 'Organic Social',
      });
    });
    it('when the URL is longer than 2048 characters, then it is cut and the event is still stored', async () => {
      const doc = await store({ u: `https://blog.example.com/${'a'.repeat(3000)}` });
      expect(String(doc.path).length).toBeLessThanOrEqual(2048);
    });
    it.each([
      ['javascript:', 'javascript:alert(1)'],
      ['data:', 'data:text/html,<b>x</b>'],
      ['file:', 'file:///etc/passwd'],
      ['ftp:', 'ftp://blog.example.com/'],
      ['relative', '/posts/hello'],
      ['not a URL', 'hello world'],
      ['a number', 42],
      ['over 16 KB', `https://blog.example.com/${'a'.repeat(17_000)}`],
    ])('when u is %s, then 400 names u', async (_label, u) => {
      await expectInvalid(pageview(site.publicId, { u }), 'u');
    });
  });

  describe('r (referrer)', () => {
    it('when the referrer has a query, then only scheme, host and path are stored', async () => {
      const doc = await store({ r: 'https://news.ycombinator.com/item?id=123&token=secret#c' });
      expect(doc).toMatchObject({
        referrer: 'https://news.ycombinator.com/item',
        referrerHost: 'news.ycombinator.com',
        channel: expect.not.stringMatching(/^Direct$/),
      });
      expect(JSON.stringify(doc)).not.toContain('secret');
    });
    it('when the referrer is the site itself (or its www form), then it counts as no referrer', async () => {
      for (const r of ['https://blog.example.com/other', 'https://www.blog.example.com/x?y=1']) {
        expect(await store({ r })).toMatchObject({
          referrer: '',
          referrerHost: '',
          source: 'Direct',
          channel: 'Direct',
        });
      }
    });
    it.each([
      ['https://chatgpt.com/', 'ChatGPT'],
      ['https://www.perplexity.ai/search?q=x', 'Perplexity'],
      ['https://claude.ai/chat/1', 'Claude'],
    ])('when the referrer is the AI assistant %s, then the channel is AI Assistants', async (r, source) => {
      expect(await store({ r })).toMatchObject({ channel: 'AI Assistants', source });
    });
    it('when the referrer is Google search, then the channel is Organic Search', async () => {
      expect(await store({ r: 'https://www.google.com/search?q=clickpath' })).toMatchObject({
        channel: 'Organic Search',
        source: 'Google',
        referrerHost: 'google.com',
      });
    });
    it('when the referrer is not a URL, then it is ignored and the event is stored', async () => {
      expect(await store({ r: 'not a url' })).toMatchObject({ referrer: '', channel: 'Direct' });
    });
    it.each([
      ['a number', 5],
      ['an object', { $gt: '' }],
      ['over 16 KB', 'x'.repeat(17_000)],
    ])('when r is %s, then 400 names r', async (_label, r) => {
      await expectInvalid(pageview(site.publicId, { r }), 'r');
    });
  });

  describe('t (title)', () => {
    it('when the title has control characters, then they become spaces and the ends are trimmed', async () => {
      expect((await store({ t: '\tHello\nworld\u0000!\u007f ' })).title).toBe('Hello world !');
    });
    it('when the title is longer than 300 characters, then 300 are stored', async () => {
      expect((await store({ t: 'é'.repeat(1000) })).title).toBe('é'.repeat(300));
    });
    it.each([
      ['a number', 5],
      ['an array', ['a']],
      ['over 6000 characters', 'x'.repeat(6001)],
    ])('when t is %s, then 400 names t', async (_label, title) => {
      await expectInvalid(pageview(site.publicId, { t: title }), 't');
    });
  });

  describe('w (screen width)', () => {
    it.each([
      [375, 'mobile'],
      [800, 'tablet'],
      [1280, 'laptop'],
      [2560, 'desktop'],
      [0, ''],
    ])('when w is %d, then the screen class is "%s"', async (w, screen) => {
      const doc = await store({ w });
      expect(doc.screen).toBe(screen);
      expect(doc).not.toHaveProperty('w');
    });
    it.each([
      ['negative', -1],
      ['fractional', 1.5],
      ['a string', '1280'],
      ['too large', 100_001],
    ])('when w is %s, then 400 names w', async (_label, w) => {
      await expectInvalid(pageview(site.publicId, { w }), 'w');
    });
  });

  describe('l (language)', () => {
    it.each([
      ['EN-gb', 'en-GB'],
      ['de', 'de'],
      ['zh-hant-TW', 'zh-HANT'],
      ['', ''],
    ])('when l is "%s", then the language is stored as "%s"', async (l, language) => {
      expect((await store({ l })).language).toBe(language);
    });
    it.each([
      ['an underscore', 'en_US'],
      ['too long', 'a'.repeat(36)],
      ['a number', 1],
    ])('when l is %s, then 400 names l', async (_label, l) => {
      await expectInvalid(pageview(site.publicId, { l }), 'l');
    });
  });

  describe('n and p (custom events)', () => {
    it('when a custom event has a name and props, then both are stored', async () => {
      const doc = await store({ k: 'ev', n: 'signup\n', p: { plan: 'pro', seats: 3, trial: false } });
      expect(doc).toMatchObject({ kind: 'ev', name: 'signup', props: { plan: 'pro', seats: 3, trial: false } });
    });
    it('when the name is longer than 120 characters, then 120 are stored', async () => {
      expect((await store({ k: 'ev', n: 'n'.repeat(500) })).name).toBe('n'.repeat(120));
    });
    it('when p has a __proto__ key, then it is dropped and no prototype is polluted', async () => {
      const event = pageview(site.publicId, { k: 'ev', n: 'x' });
      const raw = JSON.stringify(event).replace(/}$/, ',"p":{"__proto__":{"polluted":true},"a":1}}');
      expect((await postEvent(t.handler, raw)).status).toBe(202);
      const [doc] = await storedEvents(t.db, { _id: `${site.id}:${String(event.i)}` });
      expect(doc?.props).toEqual({ a: 1 });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
    it('when there are no props, then no props field is stored', async () => {
      expect(await store({ k: 'ev', n: 'x' })).not.toHaveProperty('props');
    });
    it.each([
      ['a number', 7],
      ['an object', { a: 1 }],
    ])('when n is %s, then 400 names n', async (_label, n) => {
      await expectInvalid(pageview(site.publicId, { k: 'ev', n }), 'n');
    });
    it.each([
      ['a nested object', { a: { b: 1 } }, 'p.a'],
      ['an array value', { a: [1] }, 'p.a'],
      ['a null value', { a: null }, 'p.a'],
      ['an array', ['a'], 'p'],
      ['31 keys', Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])), 'p'],
      ['an operator key', { $ne: 'x' }, 'p.$ne'],
      ['a dotted key', { 'a.b': 'x' }, 'p.a.b'],
      ['a constructor key', { constructor: 'x' }, 'p.constructor'],
      ['an empty key', { '': 'x' }, 'p.'],
    ])('when p is %s, then 400 names the offending path', async (_label, p, field) => {
      await expectInvalid(pageview(site.publicId, { k: 'ev', n: 'x', p }), field);
    });
  });

  describe('e (engaged time)', () => {
    it('when e is given, then engagedMs holds it', async () => {
      expect(await store({ k: 'en', e: 5400 })).toMatchObject({ kind: 'en', engagedMs: 5400 });
    });
    it('when e exceeds a day, then it is capped at a day', async () => {
      expect((await store({ k: 'en', e: 10 ** 12 })).engagedMs).toBe(86_400_000);
    });
    it.each([
      ['negative', -1],
      ['fractional', 1.5],
      ['a string', '100'],
    ])('when e is %s, then 400 names e', async (_label, e) => {
      await expectInvalid(pageview(site.publicId, { k: 'en', e }), 'e');
    });
  });

  describe('v, uid and tr (first-party identity)', () => {
    it('when a first-party site sends v, then the visitor id is f:<v>', async () => {
      expect((await store({ v: 'visitor_1234' }, firstParty)).vid).toBe('f:visitor_1234');
    });
    it('when a first-party site sends no v, then the cookieless id is used', async () => {
      expect((await store({}, firstParty)).vid).toMatch(/^c:/);
    });
    it('when a first-party site sends identify, then the user id and traits are stored', async () => {
      const doc = await store(
        { k: 'id', v: 'visitor_1234', uid: 'user-42', tr: { plan: 'pro', seats: 2 } },
        firstParty,
      );
      expect(doc).toMatchObject({
        kind: 'id',
        vid: 'f:visitor_1234',
        userId: 'user-42',
        traits: { plan: 'pro', seats: 2 },
      });
    });
    it('when a cookieless site sends v, uid and tr, then they are ignored', async () => {
      const doc = await store({ k: 'ev', n: 'x', v: 'visitor_1234', uid: 'user-42', tr: { plan: 'pro' } });
      expect(doc.vid).toMatch(/^c:/);
      expect(doc.userId).toBe('');
      expect(doc).not.toHaveProperty('traits');
    });
    it('when a cookieless site sends an identify event, then it is accepted but not stored', async () => {
      const before = await countEvents(t.db);
      const res = await postEvent(t.handler, pageview(site.publicId, { k: 'id', uid: 'user-42', v: 'visitor_1234' }));
      expect({ status: res.status, body: res.body as unknown }).toEqual({ status: 202, body: { accepted: 0 } });
      expect(await countEvents(t.db)).toBe(before);
    });
    it.each([
      ['v with a symbol', { v: 'visitor!1234' }, 'v'],
      ['v too short', { v: 'abc' }, 'v'],
      ['uid a number', { uid: 42 }, 'uid'],
      ['tr nested', { tr: { a: { b: 1 } } }, 'tr.a'],
      ['tr with 31 keys', { tr: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])) }, 'tr'],
    ])('when %s, then 400 names it', async (_label, fields, field) => {
      await expectInvalid(pageview(firstParty.publicId, { k: 'id', ...fields }), field);
    });
  });

  describe('nf (not found)', () => {
    it('when nf is 1, then notFound is true; without it, false', async () => {
      expect((await store({ nf: 1 })).notFound).toBe(true);
      expect((await store()).notFound).toBe(false);
    });
    it.each([
      ['2', 2],
      ['true', true],
      ['"1"', '1'],
    ])('when nf is %s, then 400 names nf', async (_label, nf) => {
      await expectInvalid(pageview(site.publicId, { nf }), 'nf');
    });
  });

  it('when an unknown field is sent, then 400 and nothing is stored', async () => {
    const before = await countEvents(t.db);
    const res = await postEvent(t.handler, { ...pageview(site.publicId), ip: '1.2.3.4' });
    expectError(res, 400, 'validation_failed');
    expect(await countEvents(t.db)).toBe(before);
  });
});

describe('batches', () => {
  it('when a batch holds 50 events, then all 50 are stored in order', async () => {
    const batch = Array.from({ length: 50 }, (_, n) =>
      pageview(site.publicId, { u: `https://blog.example.com/b50/${n}` }),
    );
    const res = await postEvent(t.handler, batch);
    expect({ status: res.status, body: res.body as unknown }).toEqual({ status: 202, body: { accepted: 50 } });
    const docs = await storedEvents(t.db, { path: { $regex: '^/b50/' } });
    expect(docs.map((d) => d.path)).toEqual(batch.map((_, n) => `/b50/${n}`));
  });

  it('when a batch holds 51 events, then 400 and none is stored', async () => {
    const batch = Array.from({ length: 51 }, () => pageview(site.publicId));
    await expectInvalid(batch, '');
  });

  it('when a batch is empty, then 400', async () => {
    await expectInvalid([], '');
  });

  it('when one event of a batch is invalid, then 400 names its index and none is stored', async () => {
    await expectInvalid([pageview(site.publicId), pageview(site.publicId, { w: -5 })], '1.w');
  });

  it('when a batch mixes sites, then 400 and nothing is stored', async () => {
    const before = await countEvents(t.db);
    const res = await postEvent(t.handler, [pageview(site.publicId), pageview(firstParty.publicId)]);
    expectError(res, 400, 'validation_failed');
    expect(await countEvents(t.db)).toBe(before);
  });
});

describe('transport', () => {
  it.each(['text/plain', 'text/plain;charset=UTF-8', 'application/json', 'Application/JSON; charset=utf-8'])(
    'when the content type is %s, then the event is stored',
    async (contentType) => {
      const event = pageview(site.publicId);
      const res = await postEvent(t.handler, event, { contentType });
      expect(res.status).toBe(202);
      expect(await storedEvents(t.db, { _id: `${site.id}:${String(event.i)}` })).toHaveLength(1);
    },
  );

  it.each(['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/html', ''])(
    'when the content type is "%s", then 415 and nothing is stored',
    async (contentType) => {
      const before = await countEvents(t.db);
      const res = await request(t.handler)
        .post('/api/event')
        .set('User-Agent', DESKTOP_UA)
        .set('Content-Type', contentType)
        .send(Buffer.from(JSON.stringify(pageview(site.publicId))));
      expectError(res, 415, 'unsupported_media_type');
      expect(await countEvents(t.db)).toBe(before);
    },
  );

  it('when the body is not JSON, then 400 bad_request', async () => {
    const res = await postEvent(t.handler, '{"s":');
    expectError(res, 400, 'bad_request');
  });

  it('when the body is 65 KB, then 413 and nothing is stored', async () => {
    const before = await countEvents(t.db);
    const res = await postEvent(t.handler, pageview(site.publicId, { t: 'x'.repeat(65 * 1024) }));
    expectError(res, 413, 'payload_too_large');
    expect(await countEvents(t.db)).toBe(before);
  });

  it('when the method is GET, then 405 with Allow', async () => {
    const res = await request(t.handler).get('/api/event');
    expectError(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toBe('POST, OPTIONS');
  });

  it('when a browser sends a preflight, then 204 with open CORS and no credentials', async () => {
    const res = await request(t.handler)
      .options('/api/event')
      .set('Origin', 'https://blog.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(res.status).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': expect.stringContaining('POST'),
      'access-control-allow-headers': expect.stringMatching(/content-type/i),
    });
    expect(res.headers).not.toHaveProperty('access-control-allow-credentials');
    expect(res.text).toBe('');
  });

  it('when a POST is answered, then it carries Access-Control-Allow-Origin: * too', async () => {
    const res = await postEvent(t.handler, pageview(site.publicId), {
      headers: { Origin: 'https://blog.example.com' },
    });
    expect(res.status).toBe(202);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers).not.toHaveProperty('access-control-allow-credentials');
  });
});

describe('duplicates', () => {
  it('when the same request is sent twice, then both get 202 and the event is stored once', async () => {
    const event = pageview(site.publicId);
    const first = await postEvent(t.handler, event);
    const second = await postEvent(t.handler, event);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(await storedEvents(t.db, { _id: `${site.id}:${String(event.i)}` })).toHaveLength(1);
  });

  it('when a batch holds the same id twice, then 202 and it is stored once', async () => {
    const event = pageview(site.publicId);
    const res = await postEvent(t.handler, [event, event]);
    expect(res.status).toBe(202);
    expect(await storedEvents(t.db, { _id: `${site.id}:${String(event.i)}` })).toHaveLength(1);
  });

  it('when the same event is sent 20 times concurrently, then all get 202 and it is stored once', async () => {
    const event = pageview(site.publicId);
    const ip = '203.0.113.50';
    const answers = await Promise.all(Array.from({ length: 20 }, () => postEvent(t.handler, event, { ip })));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(202));
    expect(await storedEvents(t.db, { _id: `${site.id}:${String(event.i)}` })).toHaveLength(1);
  });
});

describe('dropped traffic', () => {
  it.each([
    [
      'a Googlebot user agent',
      { userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' },
    ],
    ['curl', { userAgent: 'curl/8.5.0' }],
    ['an empty user agent', { userAgent: '' }],
    ['HeadlessChrome', { userAgent: DESKTOP_UA.replace('Chrome/', 'HeadlessChrome/') }],
    ['Sec-Purpose: prefetch', { headers: { 'Sec-Purpose': 'prefetch' } }],
    ['Purpose: preview', { headers: { Purpose: 'preview' } }],
  ])('when the request comes from %s, then 202 dropped and nothing is stored', async (_label, options) => {
    const before = await countEvents(t.db);
    const res = await postEvent(t.handler, [pageview(site.publicId), pageview(site.publicId)], options);
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 202,
      body: { accepted: 0, dropped: 2 },
    });
    expect(await countEvents(t.db)).toBe(before);
  });

  describe('excluded IPs', () => {
    let excluding: TestSite;
    beforeAll(async () => {
      excluding = await createSite(owner, {
        name: 'Office',
        settings: { excludedIps: ['203.0.113.7', '198.18.0.0/15', '2001:db8:abcd::/48'] },
      });
    });
    it.each([
      ['an exact IP', '203.0.113.7'],
      ['an IP inside the CIDR', '198.19.200.4'],
      ['an IPv4-mapped IPv6 form of an excluded IP', '::ffff:203.0.113.7'],
      ['an IPv6 inside the CIDR', '2001:db8:abcd:12::1'],
    ])('when the client is %s, then 202 dropped and nothing is stored', async (_label, ip) => {
      const before = await countEvents(t.db);
      const res = await postEvent(t.handler, pageview(excluding.publicId), { ip });
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: 202,
        body: { accepted: 0, dropped: 1 },
      });
      expect(await countEvents(t.db)).toBe(before);
    });
    it('when the client is outside the list, then the event is stored', async () => {
      await store({}, excluding, '203.0.113.8');
      await store({}, excluding, '198.20.0.1');
    });
  });

  describe('Do Not Track', () => {
    let honoring: TestSite;
    beforeAll(async () => {
      honoring = await createSite(owner, { name: 'Careful', settings: { honorDoNotTrack: true } });
    });
    it.each([
      ['DNT: 1', { DNT: '1' }],
      ['Sec-GPC: 1', { 'Sec-GPC': '1' }],
    ])(
      'when the site honours DNT and the browser sends %s, then 202 dropped and nothing is stored',
      async (_label, headers) => {
        const before = await countEvents(t.db);
        const res = await postEvent(t.handler, pageview(honoring.publicId), { headers });
        expect({ status: res.status, body: res.body as unknown }).toEqual({
          status: 202,
          body: { accepted: 0, dropped: 1 },
        });
        expect(await countEvents(t.db)).toBe(before);
      },
    );
    it('when the site honours DNT and the browser sends neither header (or DNT: 0), then the event is stored', async () => {
      await store({}, honoring);
      const event = pageview(honoring.publicId);
      expect((await postEvent(t.handler, event, { headers: { DNT: '0' } })).status).toBe(202);
      expect(await storedEvents(t.db, { _id: `${honoring.id}:${String(event.i)}` })).toHaveLength(1);
    });
    it('when the site does not honour DNT, then events with DNT: 1 and Sec-GPC: 1 are stored', async () => {
      const event = pageview(site.publicId);
      const res = await postEvent(t.handler, event, { headers: { DNT: '1', 'Sec-GPC': '1' } });
      expect({ status: res.status, body: res.body as unknown }).toEqual({ status: 202, body: { accepted: 1 } });
      expect(await storedEvents(t.db, { _id: `${site.id}:${String(event.i)}` })).toHaveLength(1);
    });
  });

  describe('event toggles', () => {
    let quiet: TestSite;
    beforeAll(async () => {
      quiet = await createSite(owner, {
        name: 'Quiet',
        settings: { trackOutbound: false, trackDownloads: false, trackEngagement: false },
      });
    });
    it('when the site switched outbound clicks, downloads and engaged time off, then only those are dropped', async () => {
      const batch = [
        pageview(quiet.publicId),
        pageview(quiet.publicId, { k: 'ev', n: 'outbound', p: { url: 'https://elsewhere.example/' } }),
        pageview(quiet.publicId, { k: 'ev', n: 'download', p: { url: 'https://quiet.example/a.pdf' } }),
        pageview(quiet.publicId, { k: 'en', e: 4000 }),
        pageview(quiet.publicId, { k: 'ev', n: 'signup' }),
      ];
      const res = await postEvent(t.handler, batch);
      expect({ status: res.status, body: res.body as unknown }).toEqual({ status: 202, body: { accepted: 2 } });
      const kept = await storedEvents(t.db, { siteId: new Types.ObjectId(quiet.id) });
      expect(kept.map((e) => [e.kind, e.name]).sort()).toEqual([
        ['ev', 'signup'],
        ['pv', ''],
      ]);
    });
    it('when the toggles are at their defaults, then outbound clicks, downloads and engaged time are kept', async () => {
      const batch = [
        pageview(site.publicId, { k: 'ev', n: 'outbound', p: { url: 'https://elsewhere.example/' } }),
        pageview(site.publicId, { k: 'ev', n: 'download', p: { url: 'https://blog.example/a.pdf' } }),
        pageview(site.publicId, { k: 'en', e: 4000 }),
      ];
      const res = await postEvent(t.handler, batch);
      expect({ status: res.status, body: res.body as unknown }).toEqual({ status: 202, body: { accepted: 3 } });
    });
  });
});

describe('GET /js/clickpath.js', () => {
  it('when the tracker is requested, then it is served as cacheable cross-origin JavaScript with an ETag', async () => {
    const res = await request(t.handler).get('/js/clickpath.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^(application|text)\/javascript/);
    expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers.etag).toMatch(/^"[^"]+"$/);
    expect(res.text.length).toBeGreaterThan(100);
  });

  it('when If-None-Match carries the ETag, then 304 without a body', async () => {
    const first = await request(t.handler).get('/js/clickpath.js');
    const res = await request(t.handler)
      .get('/js/clickpath.js')
      .set('If-None-Match', first.headers.etag as string);
    expect(res.status).toBe(304);
    expect(res.text).toBe('');
  });
});
