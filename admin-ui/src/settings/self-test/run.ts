/**
 * The collection self-test: follows a visit from the front page to the Clickpath server, in the
 * administrator's browser, and says for each step what it found and how to fix a failure.
 *
 * 1. connection — the server still accepts the stored key for this site (asked by WordPress).
 * 2. tag — the front page a logged-out visitor gets carries the tracker tag with this site's id;
 *    when it does not, the page is fetched again past the page cache to tell a stale cache
 *    from a tag that something strips.
 * 3. script — the tag's script answers 200 as JavaScript and runs in a frame under the page's
 *    Content Security Policy (an ad blocker, a wrong URL, a wrong MIME type or the policy stop it).
 * 4. event — a test event goes where the tracker sends it, from the same frame (so connect-src
 *    applies): one second of engaged time on the front page, which opens no visit and adds no
 *    visitor (docs/metrics.md); a custom event where the site does not collect engaged time.
 * 5. realtime — the event shows in the realtime report, read through the plugin's proxy.
 */
import { __, _n, sprintf } from '@wordpress/i18n';

import type { SelfTestCheck, SelfTestCheckId, SelfTestSetup } from '../types';
import type { PageLoad, ScriptLoad, SendOutcome, VisitorFrame } from './browser';
import {
  eventEndpoint,
  findTag,
  isLocalHost,
  policiesOf,
  withQuery,
  type TagFinding,
  type TrackerTag,
} from './inspect';

/** Everything the test does outside this module: the plugin's REST routes and the browser. */
export interface SelfTestProbes {
  setup(): Promise<SelfTestSetup>;
  realtime(after?: string): Promise<{ events: Array<{ id: string }>; cursor: string | null }>;
  fetchPage(url: string): Promise<PageLoad>;
  fetchScript(url: string): Promise<ScriptLoad>;
  openFrame(policies: string[]): Promise<VisitorFrame>;
  parse(html: string): Document;
  wait(ms: number): Promise<void>;
  now(): number;
  /** A fresh id for the test event, also the cache-busting query's value. */
  id(): string;
  /** Whether this browser sends Do Not Track or Global Privacy Control. */
  sendsDoNotTrack(): boolean;
}

export const CHECK_IDS: readonly SelfTestCheckId[] = ['connection', 'tag', 'script', 'event', 'realtime'];

/** How long the test waits for its event in Realtime, and how often it looks. */
export const REALTIME_TIMEOUT_MS = 30_000;
const POLL_MS = 2_000;

/** The name of the custom event sent where engaged time is off; it shows in that day's events. */
export const TEST_EVENT_NAME = 'Clickpath self-test';

type Outcome = Omit<SelfTestCheck, 'id'>;

const host = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};
const origin = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
};
const insecureFrom = (page: string, url: string) => page.startsWith('https:') && url.startsWith('http:');

function connectionFailure(code: string, message: string, keyFromConstant: boolean): Outcome {
  const newKey = keyFromConstant
    ? __(
        'Create a new API key for this site in the Clickpath dashboard (Sites → API keys) and put it in the CLICKPATH_API_KEY constant in wp-config.php.',
        'clickpath',
      )
    : __(
        'Create a new API key for this site in the Clickpath dashboard (Sites → API keys), click Disconnect above, and connect with the new key.',
        'clickpath',
      );
  const fixes: Record<string, string> = {
    clickpath_key_rejected: newKey,
    clickpath_key_other_site: newKey,
    clickpath_not_a_key: newKey,
    clickpath_public_id_changed: __(
      'Click Test connection above: it reads the site’s current id, which the tag carries from then on. Then purge the page cache if you use one.',
      'clickpath',
    ),
    clickpath_unreachable: __(
      'Check the server URL, and that this WordPress server can reach it (DNS, firewall, TLS certificate).',
      'clickpath',
    ),
    clickpath_redirect_refused: __(
      'Disconnect and connect again with the address the server redirects to.',
      'clickpath',
    ),
  };
  return {
    status: 'fail',
    message,
    fix:
      fixes[code] ??
      __('Try again in a moment. If it keeps failing, look at the Clickpath server’s logs.', 'clickpath'),
  };
}

function tagOutcome(finding: TagFinding, stale: boolean, pageUrl: string, site: string): Outcome {
  const purge = __('Then purge the page cache (caching plugin, host or CDN) and run the test again.', 'clickpath');
  if (stale) {
    return {
      status: 'fail',
      message: __(
        'WordPress prints the tracker tag, but the cached copy of the front page that visitors get lacks it or carries an old one: the page cache was filled before Clickpath was connected or changed.',
        'clickpath',
      ),
      fix: __(
        'Purge the page cache (caching plugin, host or CDN) and run the test again. Pages cached from now on carry the tag.',
        'clickpath',
      ),
    };
  }
  switch (finding.kind) {
    case 'missing':
      return {
        status: 'fail',
        message: __(
          'The front page that visitors get has no Clickpath tracker tag, although WordPress adds one: something removes it after WordPress printed it.',
          'clickpath',
        ),
        fix: `${__(
          'Exclude clickpath.js from the “combine”, “minify” and “delay JavaScript” options of your optimisation or caching plugin, and check that your theme calls wp_footer().',
          'clickpath',
        )} ${purge}`,
      };
    case 'no-site':
      return {
        status: 'fail',
        message: __(
          'The tracker tag on the front page lost its data-site attribute, so the tracker does not know which site it counts for.',
          'clickpath',
        ),
        fix: `${__('Exclude clickpath.js from the options of your optimisation plugin that rewrite script tags.', 'clickpath')} ${purge}`,
      };
    case 'other-site':
      return {
        status: 'fail',
        message: sprintf(
          /* translators: 1: a site id found in the page, 2: this site's id */
          __(
            'The tracker tag on the front page carries the site id %1$s, but this WordPress is connected to %2$s: its visits are counted for another site, or for none.',
            'clickpath',
          ),
          finding.tag.site ?? '',
          site,
        ),
        fix: `${__(
          'Remove any Clickpath tag pasted into the theme or a header and footer plugin: the plugin adds its own.',
          'clickpath',
        )} ${purge}`,
      };
    case 'rewritten':
      return {
        status: finding.module ? 'fail' : 'warn',
        message: finding.module
          ? sprintf(
              /* translators: %s: the rewritten attribute, e.g. type="module" */
              __(
                'An optimisation plugin rewrote the tracker tag (%s): as a module the tracker cannot read its settings and counts nothing.',
                'clickpath',
              ),
              finding.how,
            )
          : sprintf(
              /* translators: %s: the rewritten attribute, e.g. type="rocketlazyloadscript" */
              __(
                'An optimisation plugin rewrote the tracker tag (%s), so browsers do not run it as the page loads. If it runs on the first click or scroll, visitors who leave without one are not counted.',
                'clickpath',
              ),
              finding.how,
            ),
        fix: `${__('Exclude clickpath.js from the plugin’s “delay JavaScript” option (or the one that rewrote it).', 'clickpath')} ${purge}`,
      };
    case 'ok':
      if (isLocalHost(host(pageUrl)) && !finding.tag.localhost) {
        return {
          status: 'warn',
          message: sprintf(
            /* translators: %s: the site's host, e.g. localhost:8080 */
            __(
              'The tag is in place, but this site runs at %s, a local address where the tracker counts nothing, so that visits on a developer’s computer stay out of the reports.',
              'clickpath',
            ),
            host(pageUrl),
          ),
          fix: __(
            'Nothing to do on a local copy of the site. To count visits here anyway, add the “localhost” data attribute with the clickpath_tracker_attributes filter.',
            'clickpath',
          ),
        };
      }
      return {
        status: 'pass',
        message: sprintf(
          /* translators: %s: the site's public id */
          __(
            'The front page that logged-out visitors get carries the tracker tag with this site’s id (%s).',
            'clickpath',
          ),
          finding.tag.site ?? '',
        ),
      };
  }
}

function scriptBlocked(src: string, sameOrigin: boolean, fromPlugin: boolean): Outcome {
  if (sameOrigin) {
    return {
      status: 'fail',
      message: sprintf(
        /* translators: %s: the tracker script's URL */
        __(
          'This browser did not load %s, although the site itself answers: an ad or tracker blocker in this browser most likely blocked it.',
          'clickpath',
        ),
        src,
      ),
      fix: __(
        'Visitors using such a blocker are not counted; nothing on the site needs fixing if the script loads in a private window without extensions. Run the test there to check the remaining steps.',
        'clickpath',
      ),
    };
  }
  return {
    status: 'fail',
    message: sprintf(
      /* translators: 1: the tracker script's URL, 2: its host */
      __(
        'This browser could not load %1$s: an ad or tracker blocker blocked it, or browsers cannot reach %2$s.',
        'clickpath',
      ),
      src,
      host(src),
    ),
    fix: fromPlugin
      ? sprintf(
          /* translators: %s: a host */
          __(
            'Open the address in a new tab. If it loads there, a browser extension blocked it. If it does not, make %s reachable from the internet (DNS, firewall, TLS certificate).',
            'clickpath',
          ),
          host(src),
        )
      : sprintf(
          /* translators: %s: a host */
          __(
            'Open the address in a new tab. If it loads there, a browser extension blocked it: serve the tracker from this WordPress site (Collection, below), where blockers of analytics servers do not stop it. If it does not, make %s reachable from the internet (DNS, firewall, TLS certificate).',
            'clickpath',
          ),
          host(src),
        ),
  };
}

function scriptOutcome(load: ScriptLoad, src: string, sameOrigin: boolean, fromPlugin: boolean): Outcome | null {
  if (load.kind === 'network-error') return scriptBlocked(src, sameOrigin, fromPlugin);
  if (load.kind === 'opaque') return null;
  const wrongUrlFix = sameOrigin
    ? __(
        'Reinstall the plugin if its assets/clickpath.js is missing; if a CDN or optimisation plugin rewrote the address, exclude clickpath.js from it.',
        'clickpath',
      )
    : __(
        'Check the server URL under Connection, and that the Clickpath server is up and serves /js/clickpath.js.',
        'clickpath',
      );
  if (load.status !== 200) {
    return {
      status: 'fail',
      message: sprintf(
        /* translators: 1: the tracker script's URL, 2: an HTTP status code */
        __('%1$s answered HTTP %2$d instead of the tracker script.', 'clickpath'),
        src,
        load.status,
      ),
      fix: wrongUrlFix,
    };
  }
  if (!/(java|ecma)script/i.test(load.type)) {
    return {
      status: 'fail',
      message: sprintf(
        /* translators: 1: the tracker script's URL, 2: a MIME type such as text/html */
        __('%1$s is sent as “%2$s”, not as JavaScript, so browsers refuse to run it.', 'clickpath'),
        src,
        load.type || __('no type', 'clickpath'),
      ),
      fix: __(
        'Have the web server or CDN send .js files as application/javascript, or exclude clickpath.js from the plugin that rewrites it.',
        'clickpath',
      ),
    };
  }
  if (!load.body.includes('clickpath')) {
    return {
      status: 'fail',
      message: sprintf(
        /* translators: %s: the tracker script's URL */
        __('%s answers with a script that is not the Clickpath tracker.', 'clickpath'),
        src,
      ),
      fix: wrongUrlFix,
    };
  }
  return null;
}

function cspOutcome(directive: string, url: string, what: 'script' | 'event'): Outcome {
  return {
    status: 'fail',
    message:
      what === 'script'
        ? sprintf(
            /* translators: 1: a CSP directive such as script-src, 2: an origin */
            __(
              'The front page’s Content Security Policy (%1$s) does not allow scripts from %2$s, so browsers refuse to load the tracker.',
              'clickpath',
            ),
            directive,
            origin(url),
          )
        : sprintf(
            /* translators: 1: a CSP directive such as connect-src, 2: an origin */
            __(
              'The front page’s Content Security Policy (%1$s) does not allow sending to %2$s, so the tracker’s events never leave the page.',
              'clickpath',
            ),
            directive,
            origin(url),
          ),
    fix: sprintf(
      /* translators: 1: an origin, 2: a CSP directive */
      __(
        'Add %1$s to the %2$s directive of the policy, wherever it is set: the web server, a security plugin or a <meta> tag.',
        'clickpath',
      ),
      origin(url),
      directive,
    ),
  };
}

const insecure = (url: string): Outcome => ({
  status: 'fail',
  message: sprintf(
    /* translators: %s: an http:// URL */
    __('The front page is served over https, but the tracker uses %s: browsers block such mixed content.', 'clickpath'),
    url,
  ),
  fix: __('Disconnect and connect again with the server’s https:// address.', 'clickpath'),
});

function eventOutcome(
  sent: SendOutcome,
  endpoint: string,
  setup: SelfTestSetup,
  fromTag: boolean,
  sendsDnt: boolean,
): Outcome {
  if (sent.kind === 'csp') return cspOutcome(sent.directive, endpoint, 'event');
  if (sent.kind === 'network-error') {
    return {
      status: 'fail',
      message: sprintf(
        /* translators: 1: the collector's URL, 2: its host */
        __(
          'This browser could not send the test event to %1$s: an ad or tracker blocker blocked it, or browsers cannot reach %2$s.',
          'clickpath',
        ),
        endpoint,
        host(endpoint),
      ),
      fix: sprintf(
        /* translators: %s: a host */
        __(
          'Open the address in a new tab: the server answers “Use POST”. If it does, a browser extension blocked the event, and visitors using one are not counted. If it does not, make %s reachable from the internet (DNS, firewall, TLS certificate).',
          'clickpath',
        ),
        host(endpoint),
      ),
    };
  }
  const error = (sent.body as { error?: { code?: string; message?: string } } | null)?.error;
  if (sent.status === 202) {
    const answer = sent.body as { accepted?: number; queued?: number } | null;
    // The first-party relay answers `queued`: it forwards the event to the server itself.
    if ((answer?.accepted ?? 0) > 0 || (answer?.queued ?? 0) > 0) {
      return {
        status: 'pass',
        message: setup.trackEngagement
          ? sprintf(
              /* translators: %s: the collector's URL */
              __(
                'The server accepted a test event sent to %s as the tracker sends it: one second of engaged time on the front page, which adds no visitor, visit or pageview.',
                'clickpath',
              ),
              endpoint,
            )
          : sprintf(
              /* translators: 1: the collector's URL, 2: the test event's name */
              __(
                'The server accepted a test event sent to %1$s as the tracker sends it. This site does not collect engaged time, so it went as the custom event “%2$s”, which counts in today’s events.',
                'clickpath',
              ),
              endpoint,
              TEST_EVENT_NAME,
            ),
      };
    }
    if (setup.honorDoNotTrack && sendsDnt) {
      return {
        status: 'warn',
        message: __(
          'This browser sends Do Not Track or Global Privacy Control, which this site respects: the server dropped the test event, as it drops this browser’s visits.',
          'clickpath',
        ),
        fix: __('Run the test in a browser without that setting to check the remaining steps.', 'clickpath'),
      };
    }
    return {
      status: 'warn',
      message: __(
        'The server answered but dropped the test event: this computer’s IP address is excluded in the site’s settings, or this browser looks like a bot.',
        'clickpath',
      ),
      fix: __(
        'Visitors are counted as usual if the excluded address is yours. Run the test from another network or browser to check the remaining steps.',
        'clickpath',
      ),
    };
  }
  if (error?.code === 'unknown_site') {
    return {
      status: 'fail',
      message: sprintf(
        /* translators: %s: a site id */
        __('The server knows no site with the id %s.', 'clickpath'),
        setup.site,
      ),
      fix: __(
        'Click Test connection above to read the site’s current id, then purge the page cache if you use one.',
        'clickpath',
      ),
    };
  }
  if (sent.status === 429) {
    return {
      status: 'fail',
      message: __('The server refused the test event: this site sends more events than its limit allows.', 'clickpath'),
      fix: __(
        'Wait a minute and run the test again; if the site is that busy, raise COLLECT_SITE_EVENTS_PER_MINUTE on the Clickpath server.',
        'clickpath',
      ),
    };
  }
  if (sent.status >= 500) {
    return {
      status: 'fail',
      message: sprintf(
        /* translators: %d: an HTTP status code */
        __('The server could not take events (HTTP %d).', 'clickpath'),
        sent.status,
      ),
      fix: __('Look at the Clickpath server’s logs and its database, then run the test again.', 'clickpath'),
    };
  }
  return {
    status: 'fail',
    message: sprintf(
      /* translators: 1: the collector's URL, 2: an HTTP status code, 3: the server's message */
      __('%1$s refused the test event (HTTP %2$d): %3$s', 'clickpath'),
      endpoint,
      sent.status,
      error?.message ?? __('no Clickpath server answers there.', 'clickpath'),
    ),
    fix:
      fromTag && origin(endpoint) !== origin(setup.api)
        ? sprintf(
            /* translators: 1: a URL the page sends events to, 2: the connected server's collector */
            __(
              'The page sends events to %1$s, but this WordPress is connected to %2$s: purge the page cache, and exclude clickpath.js from optimisation plugins.',
              'clickpath',
            ),
            endpoint,
            setup.api,
          )
        : __('Check the server URL under Connection.', 'clickpath'),
  };
}

/**
 * Runs the checks in order, reporting every change through `onUpdate`; resolves with the
 * final checks. Throws only when the plugin cannot say what to test (not connected).
 */
export async function runSelfTest(
  probes: SelfTestProbes,
  options: { keyFromConstant: boolean },
  onUpdate: (checks: SelfTestCheck[]) => void,
): Promise<SelfTestCheck[]> {
  let checks: SelfTestCheck[] = CHECK_IDS.map((id) => ({ id, status: 'waiting', message: '' }));
  const set = (id: SelfTestCheckId, outcome: Outcome) => {
    checks = checks.map((check) => (check.id === id ? { id, ...outcome } : check));
    onUpdate(checks);
  };
  const running = (id: SelfTestCheckId) => set(id, { status: 'running', message: '' });
  const id = probes.id();

  running('connection');
  const setup = await probes.setup();
  let cursor: string | undefined;
  let connected = setup.connection.ok;
  if (!setup.connection.ok) {
    set('connection', connectionFailure(setup.connection.code, setup.connection.message, options.keyFromConstant));
  } else {
    try {
      cursor = (await probes.realtime()).cursor ?? undefined;
      set('connection', {
        status: 'pass',
        message: sprintf(
          /* translators: %s: the Clickpath server's host */
          __('The Clickpath server at %s accepts the API key for this site.', 'clickpath'),
          host(setup.api),
        ),
      });
    } catch (e) {
      connected = false;
      const failure = e as { code?: string; message?: string };
      set('connection', connectionFailure(failure.code ?? '', failure.message ?? '', options.keyFromConstant));
    }
  }

  running('tag');
  const page = await probes.fetchPage(setup.frontPage);
  let pageUrl = setup.frontPage;
  let policies: string[] = [];
  let tag: TrackerTag | null = null;
  if (page.kind === 'network-error' || page.status >= 400) {
    set('tag', {
      status: 'fail',
      message:
        page.kind === 'page'
          ? sprintf(
              /* translators: 1: the front page's URL, 2: an HTTP status code */
              __('The front page (%1$s) answered HTTP %2$d to a logged-out visitor.', 'clickpath'),
              setup.frontPage,
              page.status,
            )
          : sprintf(
              /* translators: %s: the front page's URL */
              __('This browser could not load the front page (%s) as a logged-out visitor.', 'clickpath'),
              setup.frontPage,
            ),
      fix:
        page.kind === 'page'
          ? __(
              'Visitors get an error page: check the site (a maintenance mode, or a security plugin turning away logged-out visitors), then run the test again.',
              'clickpath',
            )
          : __(
              'Open this settings screen on the site’s own address (the scheme and host of the Site Address under Settings → General) and run the test again.',
              'clickpath',
            ),
    });
  } else {
    const doc = probes.parse(page.html);
    pageUrl = page.url;
    policies = policiesOf(page.csp, doc);
    let finding = findTag(doc, page.url, setup);
    let stale = false;
    if (finding.kind !== 'ok' && finding.kind !== 'rewritten') {
      // Page caches pass a query string through to WordPress: its answer is what WordPress prints now.
      const fresh = await probes.fetchPage(withQuery(setup.frontPage, 'clickpath-self-test', id));
      if (fresh.kind === 'page' && fresh.status < 400) {
        const printed = findTag(probes.parse(fresh.html), fresh.url, setup);
        if (printed.kind === 'ok' || printed.kind === 'rewritten') {
          stale = true;
          finding = printed;
        }
      }
    }
    if (finding.kind === 'ok' || finding.kind === 'rewritten') tag = finding.tag;
    set('tag', tagOutcome(finding, stale, pageUrl, setup.site));
  }

  // Without a usable tag in the page, the later steps test what WordPress would print.
  const used = tag?.src
    ? tag
    : {
        src: setup.src,
        api: setup.trackerSource === 'plugin' ? setup.api : null,
        nonce: '',
        integrity: '',
        crossOrigin: null,
      };
  const fromPlugin = setup.trackerSource === 'plugin';
  let frame: VisitorFrame | null = null;
  const openFrame = async () => (frame ??= await probes.openFrame(policies));
  try {
    running('script');
    if (insecureFrom(pageUrl, used.src)) set('script', insecure(used.src));
    else {
      const sameOrigin = origin(used.src) === origin(pageUrl);
      const problem = scriptOutcome(await probes.fetchScript(used.src), used.src, sameOrigin, fromPlugin);
      if (problem) set('script', problem);
      else {
        const ran = await (await openFrame()).loadScript(used);
        if (ran.kind === 'csp') set('script', cspOutcome(ran.directive, used.src, 'script'));
        else if (ran.kind === 'error') {
          set('script', {
            status: 'fail',
            message: sprintf(
              /* translators: %s: the tracker script's URL */
              __('%s downloads, but this browser refused to run it in a page like the front page.', 'clickpath'),
              used.src,
            ),
            fix: __(
              'Open the front page in a private window and look in the browser console for the reason: an extension, a Subresource Integrity hash, or a mixed-content block.',
              'clickpath',
            ),
          });
        } else {
          set('script', {
            status: 'pass',
            message:
              policies.length > 0
                ? sprintf(
                    /* translators: %s: the tracker script's URL */
                    __('%s loads, and runs under the front page’s Content Security Policy.', 'clickpath'),
                    used.src,
                  )
                : sprintf(
                    /* translators: %s: the tracker script's URL */
                    __('%s loads and runs.', 'clickpath'),
                    used.src,
                  ),
          });
        }
      }
    }

    running('event');
    const endpoint = eventEndpoint(used, pageUrl);
    let accepted = false;
    if (insecureFrom(pageUrl, endpoint)) set('event', insecure(endpoint));
    else {
      const event = setup.trackEngagement
        ? { s: setup.site, i: id, k: 'en', e: 1000, u: setup.frontPage }
        : { s: setup.site, i: id, k: 'ev', n: TEST_EVENT_NAME, u: setup.frontPage };
      const sent = await (await openFrame()).send(endpoint, JSON.stringify(event));
      const outcome = eventOutcome(sent, endpoint, setup, used === tag, probes.sendsDoNotTrack());
      accepted = outcome.status === 'pass';
      set('event', outcome);
    }

    running('realtime');
    if (!connected) {
      set('realtime', {
        status: 'skip',
        message: __('Not run: Realtime is read with the API key, which failed above.', 'clickpath'),
      });
    } else if (!accepted) {
      set('realtime', {
        status: 'skip',
        message: __('Not run: the test event did not reach the server.', 'clickpath'),
      });
    } else {
      const started = probes.now();
      let found = false;
      let failure: string | null = null;
      while (!found && probes.now() - started < REALTIME_TIMEOUT_MS) {
        await probes.wait(POLL_MS);
        try {
          // Always after the cursor read before sending: newer events may be stored before older ones.
          found = (await probes.realtime(cursor)).events.some((event) => event.id === id);
        } catch (e) {
          failure = (e as Error).message;
          break;
        }
      }
      const seconds = Math.max(1, Math.round((probes.now() - started) / 1000));
      if (found) {
        set('realtime', {
          status: 'pass',
          message: sprintf(
            /* translators: %d: seconds */
            _n(
              'The test event showed in Realtime after %d second.',
              'The test event showed in Realtime after %d seconds.',
              seconds,
              'clickpath',
            ),
            seconds,
          ),
        });
      } else if (failure !== null) {
        set('realtime', {
          status: 'fail',
          message: sprintf(
            /* translators: %s: an error message */
            __('Could not read Realtime: %s', 'clickpath'),
            failure,
          ),
          fix: __('Run the test again in a moment.', 'clickpath'),
        });
      } else if (origin(endpoint) !== origin(setup.api)) {
        set('realtime', {
          status: 'fail',
          message: sprintf(
            /* translators: 1: the URL the page sends events to, 2: the connected server's collector */
            __(
              'The page sends events to %1$s, which accepted the test event, but this WordPress reads its reports from the server of %2$s, where it never arrived.',
              'clickpath',
            ),
            endpoint,
            setup.api,
          ),
          fix: __(
            'Purge the page cache so that pages carry the current tag, and exclude clickpath.js from optimisation plugins.',
            'clickpath',
          ),
        });
      } else {
        set('realtime', {
          status: 'fail',
          message: sprintf(
            /* translators: %d: seconds */
            __('The server accepted the test event, but it did not show in Realtime within %d seconds.', 'clickpath'),
            REALTIME_TIMEOUT_MS / 1000,
          ),
          fix: __(
            'The server stores events in the background: check that a Clickpath server process runs with its aggregator on (AGGREGATOR is not false), and look at its logs.',
            'clickpath',
          ),
        });
      }
    }
  } finally {
    (frame as VisitorFrame | null)?.close();
  }
  return checks;
}

/** One line on the whole run. */
export function summary(checks: readonly SelfTestCheck[]): string {
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  if (failed > 0) {
    return sprintf(
      /* translators: %d: number of failed checks */
      _n(
        '%d check failed: see below how to fix it.',
        '%d checks failed: see below how to fix them.',
        failed,
        'clickpath',
      ),
      failed,
    );
  }
  if (warned > 0) {
    return sprintf(
      /* translators: %d: number of checks with a warning */
      _n('No check failed, but %d needs a look.', 'No check failed, but %d need a look.', warned, 'clickpath'),
      warned,
    );
  }
  return __('Every check passed: visits to this site are counted.', 'clickpath');
}
