import { createHash, createHmac } from 'node:crypto';

import request from 'supertest';

import {
  createKey,
  createSite,
  signUp,
  startTestApp,
  type TestApp,
  type TestSite,
  type TestUser,
} from '../../test/support/app';
import { expectError } from '../../test/support/assert';
import { DESKTOP_UA, pageview, storedEvents } from '../../test/support/collect';

/**
 * First-party relay (issue 15, point 3): a site's relay vouches for the visitor's IP and user
 * agent with an HMAC under the site's relay secret; the collector trusts them only then.
 */

let t: TestApp;
let owner: TestUser;
let site: TestSite;
let other: TestSite;
let secret: string;
let otherSecret: string;

/** The connection's own address (the test app trusts one proxy hop) and the relayed visitor's. */
const CONNECTION_IP = '8.8.8.8'; // US, Mountain View
const VISITOR_IP = '81.2.69.142'; // GB, London
const VISITOR_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

const issue = async (siteId: string): Promise<string> => {
  const res = await owner.agent.post(`/api/v1/sites/${siteId}/relay-secret`);
  expect(res.status).toBe(201);
  return res.body.secret as string;
};

beforeAll(async () => {
  t = await startTestApp();
  owner = await signUp(t.app);
  site = await createSite(owner);
  other = await createSite(owner, { name: 'Other' });
  secret = await issue(site.id);
  otherSecret = await issue(other.id);
});

afterAll(async () => {
  await t?.close();
});

interface Relay {
  key?: string;
  publicId?: string;
  time?: number;
  ip?: string;
  userAgent?: string;
  signedBody?: string;
}

/** Relay headers as the plugin's relay sends them, signed per the spec in docs/plugin.md (independently of relay.ts). */
function relayHeaders(body: string, relay: Relay = {}): Record<string, string> {
  const time = String(relay.time ?? Math.floor(Date.now() / 1000));
  const ip = relay.ip ?? VISITOR_IP;
  const ua = relay.userAgent ?? VISITOR_UA;
  const bodyHash = createHash('sha256')
    .update(relay.signedBody ?? body)
    .digest('hex');
  const input = ['v1', relay.publicId ?? site.publicId, time, ip, ua, bodyHash].join('\n');
  return {
    'X-Clickpath-Relay-Ip': ip,
    'X-Clickpath-Relay-Ua': ua,
    'X-Clickpath-Relay-Time': time,
    'X-Clickpath-Relay-Signature': createHmac('sha256', relay.key ?? secret)
      .update(input)
      .digest('hex'),
  };
}

/** Posts one pageview for `target` from the relay's own connection (CONNECTION_IP, a server UA) and returns what was stored. */
async function relayed(relay: Relay | null, target: TestSite = site) {
  const event = pageview(target.publicId);
  const body = JSON.stringify(event);
  let req = request(t.handler)
    .post('/api/event')
    .set('Content-Type', 'text/plain')
    .set('User-Agent', DESKTOP_UA)
    .set('X-Forwarded-For', CONNECTION_IP);
  if (relay) {
    for (const [name, value] of Object.entries(relayHeaders(body, { publicId: target.publicId, ...relay }))) {
      req = req.set(name, value);
    }
  }
  const res = await req.send(body);
  expect(res.status).toBe(202);
  const [doc] = await storedEvents(t.db, { _id: `${target.id}:${String(event.i)}` });
  expect(doc).toBeDefined();
  return { res, doc: doc as Record<string, unknown> };
}

/** What a hit from the relay's own connection looks like: the US address and desktop Chrome. */
const AS_CONNECTION = { country: 'US', browser: 'Chrome', device: 'desktop' };

describe('relay secret', () => {
  it('when an owner issues it, then it is returned once and never in a site view or list', async () => {
    const fresh = await issue(site.id);
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const view = await owner.agent.get(`/api/v1/sites/${site.id}`).expect(200);
    const list = await owner.agent.get('/api/v1/sites').expect(200);
    expect(JSON.stringify(view.body) + JSON.stringify(list.body)).not.toContain(fresh);
    expect(view.body).not.toHaveProperty('relaySecret');
    secret = fresh;
  });

  it('when a sites:manage key asks, then it gets one; a stats:read key gets 403', async () => {
    const manage = await createKey(owner, site.id, ['sites:manage']);
    const read = await createKey(owner, site.id, ['stats:read']);
    const ok = await request(t.app)
      .post(`/api/v1/sites/${site.id}/relay-secret`)
      .set('Authorization', `Bearer ${manage.secret}`);
    expect(ok.status).toBe(201);
    secret = ok.body.secret as string;
    const refused = await request(t.app)
      .post(`/api/v1/sites/${site.id}/relay-secret`)
      .set('Authorization', `Bearer ${read.secret}`);
    expectError(refused, 403, 'forbidden');
  });

  it('when another account asks for this site, then 404', async () => {
    const stranger = await signUp(t.app);
    expectError(await stranger.agent.post(`/api/v1/sites/${site.id}/relay-secret`), 404, 'not_found');
  });
});

describe('relayed hits', () => {
  it('when the signature verifies, then the visitor’s country and user agent are stored, never the IP', async () => {
    const { res, doc } = await relayed({});
    expect(res.body).toEqual({ accepted: 1, relay: 'verified' });
    expect(doc).toMatchObject({ country: 'GB', city: 'London', browser: 'Mobile Safari', os: 'iOS', device: 'mobile' });
    expect(JSON.stringify(doc)).not.toContain(VISITOR_IP);
    expect(JSON.stringify(doc)).not.toContain(CONNECTION_IP);
  });

  it('when the secret is rotated, then the new one verifies within a second and the old one stops', async () => {
    const old = secret;
    secret = await issue(site.id);
    // The collector caches sites; a failing signature rereads the site once its copy is a second old.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await relayed({})).res.body).toEqual({ accepted: 1, relay: 'verified' });
    const { res, doc } = await relayed({ key: old });
    expect(res.body).toEqual({ accepted: 1, relay: 'ignored' });
    expect(doc).toMatchObject(AS_CONNECTION);
  });

  it.each<[string, () => Relay]>([
    ['a wrong secret', () => ({ key: 'not-the-secret' })],
    ['another site’s secret', () => ({ key: otherSecret })],
    ['a timestamp six minutes old', () => ({ time: Math.floor(Date.now() / 1000) - 360 })],
    ['a timestamp six minutes ahead', () => ({ time: Math.floor(Date.now() / 1000) + 360 })],
    ['a signature over another body', () => ({ signedBody: '{"forged":true}' })],
    ['a user agent over 1000 characters', () => ({ userAgent: `${VISITOR_UA} ${'x'.repeat(1000)}` })],
    ['an IP header over 45 characters', () => ({ ip: `::ffff:${'0:'.repeat(20)}1` })],
    ['an IP that is not an IP', () => ({ ip: 'localhost' })],
  ])('when the relay headers carry %s, then they are ignored and the connection is the visitor', async (_l, make) => {
    const { res, doc } = await relayed(make());
    expect(res.body).toEqual({ accepted: 1, relay: 'ignored' });
    expect(doc).toMatchObject(AS_CONNECTION);
  });

  it('when a site has no relay secret, then signed headers are ignored', async () => {
    const bare = await createSite(owner, { name: 'No relay' });
    const { res, doc } = await relayed({ key: '' }, bare);
    expect(res.body).toEqual({ accepted: 1, relay: 'ignored' });
    expect(doc).toMatchObject(AS_CONNECTION);
  });

  it('when relay headers come without a signature, then they are ignored without comment', async () => {
    const event = pageview(site.publicId);
    const res = await request(t.handler)
      .post('/api/event')
      .set('Content-Type', 'text/plain')
      .set('User-Agent', DESKTOP_UA)
      .set('X-Forwarded-For', CONNECTION_IP)
      .set('X-Clickpath-Relay-Ip', VISITOR_IP)
      .set('X-Clickpath-Relay-Ua', VISITOR_UA)
      .send(JSON.stringify(event));
    expect(res.body).toEqual({ accepted: 1 });
    const [doc] = await storedEvents(t.db, { _id: `${site.id}:${String(event.i)}` });
    expect(doc).toMatchObject(AS_CONNECTION);
  });
});
