import request from 'supertest';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { createKey, createSite, signUp, startTestApp, type TestApp, type TestSite } from './support/app';
import { expectError } from './support/assert';
import { pageview, postEvent } from './support/collect';
import { inboxDocuments } from './support/history';

/**
 * People ids (issue 17, item 7): whatever `identify` accepts, the people API can
 * export and erase by the same id, path-encoded; what one refuses, the other refuses.
 */

let t: TestApp;
let site: TestSite;
let readKey: string;
let manageKey: string;
let visitorCounter = 0;

beforeAll(async () => {
  t = await startTestApp();
  const owner = await signUp(t.app);
  site = await createSite(owner, { name: 'Ids', domain: 'ids.example', settings: { identityMode: 'first-party' } });
  readKey = (await createKey(owner, site.id, ['stats:read'])).secret;
  manageKey = (await createKey(owner, site.id, ['stats:read', 'sites:manage'])).secret;
});
afterAll(() => t.close());

const person = (userId: string) => `/api/v1/sites/${site.id}/people/${encodeURIComponent(userId)}`;
const identify = (uid: unknown) => {
  visitorCounter += 1;
  return postEvent(
    t.handler,
    pageview(site.publicId, { k: 'id', v: `visitor_${String(visitorCounter).padStart(6, '0')}`, uid }),
  );
};

describe('ids identify and the people API both accept', () => {
  it.each([
    ['unicode and a space', 'José Smith'],
    ['a hash', 'user#42'],
    ['a slash', 'a/b'],
    ['a percent sign and a question mark', '50% off?'],
    ['non-Latin script', 'ユーザー 七'],
    ['exactly 128 characters', 'é'.repeat(128)],
  ])(
    'when a first-party site identifies a person by an id with %s, then the people API exports and erases them by it',
    async (_label, userId) => {
      const sent = await identify(userId);
      expect({ status: sent.status, body: sent.body as unknown }).toEqual({ status: 202, body: { accepted: 1 } });
      await processPendingEvents();

      const exported = await request(t.app).get(person(userId)).set('Authorization', `Bearer ${readKey}`);
      expect(exported.status).toBe(200);
      expect(exported.body.userId).toBe(userId);
      expect(exported.body.visitors).toHaveLength(1);

      const erased = await request(t.app).delete(person(userId)).set('Authorization', `Bearer ${manageKey}`);
      expect(erased.status).toBe(200);
      expect(erased.body).toMatchObject({ visitors: 1, events: 1 });
      expect(await t.db.collection('events').countDocuments({ siteId: site.id, userId })).toBe(0);
      const again = await request(t.app).get(person(userId)).set('Authorization', `Bearer ${readKey}`);
      expect(again.body.visitors).toEqual([]);
    },
  );
});

describe('ids identify and the people API both refuse', () => {
  it.each([
    ['129 characters', 'x'.repeat(129), /at most 128 characters/],
    ['129 non-Latin characters', 'é'.repeat(129), /at most 128 characters/],
    ['a control character', 'user\u000042', /control characters/],
    ['a newline', 'user\n42', /control characters/],
  ])(
    'when the id has %s, then the collector and the people API both answer 400 and nothing is stored',
    async (_label, userId, message) => {
      const before = (await inboxDocuments(t.db)).length;
      const sent = await identify(userId);
      expectError(sent, 400, 'validation_failed');
      expect(sent.body.error.details).toEqual([{ path: 'uid', message: expect.stringMatching(message) }]);
      expect(await inboxDocuments(t.db)).toHaveLength(before);

      for (const req of [
        request(t.app).get(person(userId)).set('Authorization', `Bearer ${readKey}`),
        request(t.app).delete(person(userId)).set('Authorization', `Bearer ${manageKey}`),
      ]) {
        const res = await req;
        expectError(res, 400, 'validation_failed');
        expect(res.body.error.details).toEqual([{ path: 'params.userId', message: expect.stringMatching(message) }]);
      }
    },
  );
});
