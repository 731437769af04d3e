import type { SelfTestCheck, SelfTestSetup } from '../types';
import type { FrameOutcome, PageLoad, ScriptLoad, SendOutcome } from './browser';
import { eventEndpoint, findTag, governingDirective, policiesOf } from './inspect';
import { REALTIME_TIMEOUT_MS, runSelfTest, summary, TEST_EVENT_NAME, type SelfTestProbes } from './run';

const FRONT = 'https://blog.example.com/';
const SRC = 'https://blog.example.com/wp-content/plugins/clickpath/assets/clickpath.js';
const API = 'https://stats.example.com/api/event';
const SITE = 'pub_TestSite123';

const parse = (html: string) => new DOMParser().parseFromString(html, 'text/html');
const page = (body: string, csp: string | null = null, status = 200): PageLoad => ({
  kind: 'page',
  status,
  url: FRONT,
  html: `<!doctype html><html><head><title>Blog</title></head><body>${body}</body></html>`,
  csp,
});
const TAG = `<script defer data-site="${SITE}" data-api="${API}" src="${SRC}?ver=0.1.0" id="clickpath-js"></script>`;

describe('finding the tracker tag in a page', () => {
  const find = (body: string) => findTag(parse(body), FRONT, { site: SITE, src: SRC });

  it('reads the tag WordPress prints', () => {
    expect(find(TAG)).toEqual({
      kind: 'ok',
      tag: {
        src: `${SRC}?ver=0.1.0`,
        site: SITE,
        api: API,
        localhost: false,
        type: '',
        nonce: '',
        integrity: '',
        crossOrigin: null,
      },
    });
  });

  it('says when the tag is missing, lost its site id or carries another', () => {
    expect(find('<script src="/wp-includes/js/jquery.js"></script>')).toEqual({ kind: 'missing' });
    expect(find(`<script defer src="${SRC}"></script>`).kind).toBe('no-site');
    expect(
      find(`<script data-site="pub_Other999" src="https://cdn.example.net/js/clickpath.js"></script>`),
    ).toMatchObject({ kind: 'other-site', tag: { site: 'pub_Other999' } });
  });

  it('prefers the tag with this site’s id when a theme pasted a second one', () => {
    const found = find(`<script data-site="pub_Other999" src="/old/clickpath.js"></script>${TAG}`);
    expect(found).toMatchObject({ kind: 'ok', tag: { site: SITE } });
  });

  it('recognises a tag that a "delay JavaScript" option rewrote', () => {
    expect(find(`<script type="rocketlazyloadscript" data-site="${SITE}" src="${SRC}"></script>`)).toMatchObject({
      kind: 'rewritten',
      how: 'type="rocketlazyloadscript"',
      module: false,
    });
    expect(find(`<script data-site="${SITE}" data-rocket-src="${SRC}"></script>`)).toMatchObject({
      kind: 'rewritten',
      how: `data-rocket-src="${SRC}"`,
      tag: { src: SRC },
    });
    expect(find(`<script type="module" data-site="${SITE}" src="${SRC}"></script>`)).toMatchObject({ module: true });
    expect(find(`<script type="text/javascript" data-site="${SITE}" src="${SRC}"></script>`).kind).toBe('ok');
  });

  it('resolves a relative src, and keeps the nonce a CSP plugin added', () => {
    expect(
      find(
        `<script nonce="abc123" data-site="${SITE}" src="/wp-content/plugins/clickpath/assets/clickpath.js"></script>`,
      ),
    ).toMatchObject({ kind: 'ok', tag: { src: SRC, nonce: 'abc123' } });
  });
});

describe('what a page’s policy and tag imply', () => {
  it('reads every enforced policy of the header and of <meta>, without what <meta> cannot carry', () => {
    const doc = parse(
      `<html><head><meta http-equiv="Content-Security-Policy" content="connect-src 'self'; report-uri /csp"></head><body></body></html>`,
    );
    expect(policiesOf("script-src 'self'; frame-ancestors 'none', default-src https:", doc)).toEqual([
      "script-src 'self'",
      'default-src https:',
      "connect-src 'self'",
    ]);
    expect(policiesOf(null, parse('<p>no policy</p>'))).toEqual([]);
  });

  it('names the directive an administrator has to change', () => {
    expect(governingDirective("default-src 'self'", 'connect-src')).toBe('default-src');
    expect(governingDirective("default-src 'self'; script-src 'self'", 'script-src-elem')).toBe('script-src');
    expect(governingDirective("connect-src 'self'", 'connect-src')).toBe('connect-src');
  });

  it('finds where the tracker sends events as the tracker does', () => {
    expect(eventEndpoint({ api: API, src: SRC }, FRONT)).toBe(API);
    expect(eventEndpoint({ api: null, src: 'https://stats.example.com/js/clickpath.js' }, FRONT)).toBe(API);
  });
});

interface Fakes {
  setup?: Partial<SelfTestSetup>;
  pages?: PageLoad[];
  script?: ScriptLoad;
  run?: FrameOutcome;
  send?: SendOutcome;
  realtime?: Array<{ events: Array<{ id: string }>; cursor: string | null } | Error>;
  dnt?: boolean;
}

const ID = 'selftest-abc-12345678';

function fakes(f: Fakes = {}) {
  let clock = 0;
  const calls = {
    pages: [] as string[],
    scripts: [] as string[],
    policies: [] as string[][],
    loaded: [] as unknown[],
    sent: [] as Array<{ url: string; body: unknown }>,
    realtime: [] as Array<string | undefined>,
    closed: 0,
  };
  const pages = [...(f.pages ?? [page(TAG)])];
  const realtime = [
    ...(f.realtime ?? [
      { events: [], cursor: '1700000000000:x' },
      { events: [{ id: ID }], cursor: 'y' },
    ]),
  ];
  const probes: SelfTestProbes = {
    setup: async () => ({
      frontPage: FRONT,
      site: SITE,
      src: SRC,
      api: API,
      trackerSource: 'plugin',
      honorDoNotTrack: false,
      trackEngagement: true,
      connection: { ok: true },
      ...f.setup,
    }),
    realtime: async (after) => {
      calls.realtime.push(after);
      const next = realtime.length > 1 ? realtime.shift()! : (realtime[0] ?? { events: [], cursor: null });
      if (next instanceof Error) throw next;
      return next;
    },
    fetchPage: async (url) => {
      calls.pages.push(url);
      return pages.length > 1 ? pages.shift()! : pages[0]!;
    },
    fetchScript: async (url) => {
      calls.scripts.push(url);
      return f.script ?? { kind: 'response', status: 200, type: 'application/javascript', body: '(()=>{clickpath})()' };
    },
    openFrame: async (policies) => {
      calls.policies.push(policies);
      return {
        loadScript: async (tag) => {
          calls.loaded.push(tag);
          return f.run ?? { kind: 'ok' };
        },
        send: async (url, body) => {
          calls.sent.push({ url, body: JSON.parse(body) });
          return f.send ?? { kind: 'response', status: 202, body: { accepted: 1 } };
        },
        close: () => {
          calls.closed += 1;
        },
      };
    },
    parse,
    wait: async (ms) => {
      clock += ms;
    },
    now: () => clock,
    id: () => ID,
    sendsDoNotTrack: () => f.dnt ?? false,
  };
  return { probes, calls };
}

const run = async (f: Fakes = {}, keyFromConstant = false) => {
  const { probes, calls } = fakes(f);
  const updates: SelfTestCheck[][] = [];
  const checks = await runSelfTest(probes, { keyFromConstant }, (next) => updates.push(next));
  const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
  return { checks, byId, calls, updates };
};

describe('the self-test', () => {
  it('when everything works, passes every check and finds its engaged-time event in Realtime', async () => {
    const { checks, byId, calls, updates } = await run();
    expect(checks.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(calls.pages).toEqual([FRONT]);
    expect(calls.scripts).toEqual([`${SRC}?ver=0.1.0`]);
    expect(calls.loaded).toEqual([expect.objectContaining({ src: `${SRC}?ver=0.1.0`, nonce: '' })]);
    expect(calls.sent).toEqual([{ url: API, body: { s: SITE, i: ID, k: 'en', e: 1000, u: FRONT } }]);
    // Realtime is read once for a cursor before the event is sent, then after that cursor.
    expect(calls.realtime).toEqual([undefined, '1700000000000:x']);
    expect(byId.realtime!.message).toBe('The test event showed in Realtime after 2 seconds.');
    expect(calls.closed).toBe(1);
    expect(summary(checks)).toBe('Every check passed: visits to this site are counted.');
    // Each check shows as running before its result.
    expect(updates.some((u) => u.find((c) => c.id === 'tag')!.status === 'running')).toBe(true);
  });

  it('when something strips the tag, fails the tag check with the fix and tests what WordPress would print', async () => {
    const { byId, calls } = await run({ pages: [page('<p>optimised</p>')] });
    expect(byId.tag).toMatchObject({ status: 'fail' });
    expect(byId.tag!.message).toMatch(/has no Clickpath tracker tag/);
    expect(byId.tag!.fix).toMatch(/Exclude clickpath\.js .* wp_footer\(\)/);
    // Fetched again past the page cache (a query string), and still missing.
    expect(calls.pages).toEqual([FRONT, `${FRONT}?clickpath-self-test=${ID}`]);
    expect(calls.scripts).toEqual([SRC]);
    expect(calls.sent[0]!.url).toBe(API);
    expect(byId.realtime!.status).toBe('pass');
  });

  it('when only the cached page lacks the tag, says to purge the page cache', async () => {
    const { byId } = await run({ pages: [page('<p>cached before connecting</p>'), page(TAG)] });
    expect(byId.tag!.status).toBe('fail');
    expect(byId.tag!.message).toMatch(/cached copy/);
    expect(byId.tag!.fix).toMatch(/^Purge the page cache/);
  });

  it('when the page carries another site’s id, names both', async () => {
    const other = TAG.replace(SITE, 'pub_Other999');
    const { byId } = await run({ pages: [page(other)] });
    expect(byId.tag!.message).toMatch(
      /carries the site id pub_Other999, but this WordPress is connected to pub_TestSite123/,
    );
  });

  it('when a blocker stops the script on the site’s own address, fails the script check only', async () => {
    const { byId, calls } = await run({ script: { kind: 'network-error' } });
    expect(byId.script!.status).toBe('fail');
    expect(byId.script!.message).toMatch(/ad or tracker blocker in this browser/);
    expect(calls.loaded).toEqual([]);
    expect(byId.event!.status).toBe('pass');
  });

  it('when the script is served from the server and blocked, suggests serving it from WordPress', async () => {
    const src = 'https://stats.example.com/js/clickpath.js';
    const tag = `<script defer data-site="${SITE}" src="${src}"></script>`;
    const { byId } = await run({
      setup: { trackerSource: 'backend', src },
      pages: [page(tag)],
      script: { kind: 'network-error' },
    });
    expect(byId.script!.message).toMatch(/could not load https:\/\/stats\.example\.com\/js\/clickpath\.js/);
    expect(byId.script!.fix).toMatch(/serve the tracker from this WordPress site/);
  });

  it('when the script URL is wrong or served as HTML, says so', async () => {
    const missing = await run({ script: { kind: 'response', status: 404, type: 'text/html', body: 'Not found' } });
    expect(missing.byId.script!.message).toMatch(/answered HTTP 404/);
    const html = await run({
      script: { kind: 'response', status: 200, type: 'text/html; charset=UTF-8', body: '<html>' },
    });
    expect(html.byId.script!.message).toMatch(/is sent as “text\/html; charset=UTF-8”, not as JavaScript/);
  });

  it('when the page’s policy blocks the script or the events, names the directive and the origin to add', async () => {
    const script = await run({
      pages: [page(TAG, "default-src 'self'")],
      run: { kind: 'csp', directive: 'default-src' },
    });
    expect(script.calls.policies).toEqual([["default-src 'self'"]]);
    expect(script.byId.script!.fix).toBe(
      'Add https://blog.example.com to the default-src directive of the policy, wherever it is set: the web server, a security plugin or a <meta> tag.',
    );
    const events = await run({
      pages: [page(TAG, "connect-src 'self'")],
      send: { kind: 'csp', directive: 'connect-src' },
    });
    expect(events.byId.event!.message).toMatch(/does not allow sending to https:\/\/stats\.example\.com/);
    expect(events.byId.realtime).toMatchObject({ status: 'skip' });
  });

  it('when the key is wrong, fails the connection with the fix and does not read Realtime', async () => {
    const { byId, calls } = await run({
      setup: {
        connection: { ok: false, code: 'clickpath_key_rejected', message: 'The Clickpath server refused the API key.' },
      },
    });
    expect(byId.connection).toEqual({
      id: 'connection',
      status: 'fail',
      message: 'The Clickpath server refused the API key.',
      fix: 'Create a new API key for this site in the Clickpath dashboard (Sites → API keys), click Disconnect above, and connect with the new key.',
    });
    expect(byId.tag!.status).toBe('pass');
    expect(byId.event!.status).toBe('pass');
    expect(byId.realtime!.status).toBe('skip');
    expect(calls.realtime).toEqual([]);
  });

  it('when the key is set in wp-config.php, says to change it there', async () => {
    const { byId } = await run(
      { setup: { connection: { ok: false, code: 'clickpath_key_rejected', message: 'Refused.' } } },
      true,
    );
    expect(byId.connection!.fix).toMatch(/CLICKPATH_API_KEY constant in wp-config\.php/);
  });

  it('where engaged time is off, sends a named custom event instead', async () => {
    const { calls, byId } = await run({ setup: { trackEngagement: false } });
    expect(calls.sent[0]!.body).toEqual({ s: SITE, i: ID, k: 'ev', n: TEST_EVENT_NAME, u: FRONT });
    expect(byId.event!.message).toMatch(/custom event “Clickpath self-test”/);
  });

  it('when the first-party relay queues the event, passes and finds it in Realtime', async () => {
    const { checks } = await run({ send: { kind: 'response', status: 202, body: { queued: 1 } } });
    expect(checks.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
  });

  it('when the server drops the event for Do Not Track, warns instead of failing', async () => {
    const { byId } = await run({
      setup: { honorDoNotTrack: true },
      dnt: true,
      send: { kind: 'response', status: 202, body: { accepted: 0, dropped: 1 } },
    });
    expect(byId.event!.status).toBe('warn');
    expect(byId.realtime!.status).toBe('skip');
  });

  it('when the server knows no such site, says to read its id again', async () => {
    const { byId } = await run({
      send: { kind: 'response', status: 404, body: { error: { code: 'unknown_site', message: 'No site' } } },
    });
    expect(byId.event!.message).toBe('The server knows no site with the id pub_TestSite123.');
  });

  it('when the event never shows in Realtime, gives up after the timeout and points at the aggregator', async () => {
    const { byId, calls } = await run({ realtime: [{ events: [], cursor: null }] });
    expect(byId.realtime!.status).toBe('fail');
    expect(byId.realtime!.fix).toMatch(/AGGREGATOR/);
    expect(calls.realtime.length).toBe(1 + REALTIME_TIMEOUT_MS / 2000);
    expect(calls.realtime.slice(1).every((after) => after === undefined)).toBe(true);
  });

  it('when the front page is on a local address without data-localhost, warns that nothing is counted', async () => {
    const local = 'http://127.0.0.1:8080/';
    const { byId } = await run({
      setup: { frontPage: local },
      pages: [{ kind: 'page', status: 200, url: local, html: TAG, csp: null }],
    });
    expect(byId.tag).toMatchObject({ status: 'warn' });
    expect(byId.tag!.message).toMatch(/runs at 127\.0\.0\.1:8080, a local address/);
  });

  it('sums up failures and warnings', () => {
    const check = (status: SelfTestCheck['status']): SelfTestCheck => ({ id: 'tag', status, message: '' });
    expect(summary([check('fail'), check('fail'), check('warn')])).toBe('2 checks failed: see below how to fix them.');
    expect(summary([check('pass'), check('warn')])).toBe('No check failed, but 1 needs a look.');
  });
});
