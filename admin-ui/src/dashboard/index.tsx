/**
 * WordPress dependencies
 */
import '@wordpress/components/build-style/style.css';
import { Button, Notice, Spinner } from '@wordpress/components';
import { createElement, useEffect, useMemo, useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { createStandaloneSource } from '../data/standalone';
import { mount } from '../lib/mount';
import { useRequest } from '../lib/use-request';
import { ReportPanel } from '../report';
import { AccountPage } from './components/account-page';
import { AuthForm } from './components/auth-form';
import { InvitationLinkPage } from './components/invitation-link';
import { OutboxPage } from './components/outbox-page';
import { ForgotPasswordForm, ResetPasswordForm } from './components/password-reset';
import { SiteSettings } from './components/site-settings';
import { SitesPage } from './components/sites-page';
import { TwoFactorRequired } from './components/two-factor-policy';
import { VerificationNotice, VerifyEmailPage } from './components/verify-email';
import { api, parseHash, routeHash, trackingSnippet } from './query';
import type { Route, Session, Site } from './types';
import './dashboard.scss';

function useHashRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

const go = (route: Route) => {
  window.location.hash = routeHash(route);
};

const isAuthPage = (hash: string) => ['login', 'signup', 'forgot-password'].includes(parseHash(hash).name);

function SiteReport({ site }: { site: Site }) {
  const source = useMemo(() => createStandaloneSource({ siteId: site.id }), [site.id]);
  return (
    <div>
      <h1 className="clickpath-dashboard__title">
        {site.name} <span className="clickpath-report__muted">{site.domain}</span>
      </h1>
      <ReportPanel
        key={site.id}
        source={source}
        host="standalone"
        timeZone={site.timezone}
        snippetHint={`${sprintf(
          /* translators: %s: the script tag */
          __('Add this to the <head> of every page: %s', 'clickpath'),
          trackingSnippet(window.location.origin, site.publicId, site.domain),
        )} ${__(
          'Trying it on your own computer? The tracker sends nothing from localhost, 127.0.0.1 or [::1] unless its script tag has the data-localhost attribute (the snippet of a localhost site has it).',
          'clickpath',
        )}`}
      />
    </div>
  );
}

/** Clickpath's mark (the favicon's drawing): a path rising through three points to a highlighted goal. */
function Mark() {
  return (
    <svg className="clickpath-dashboard__mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="#3a4fc4" />
      <path
        d="M7 23l6-7 5 4 7-10"
        fill="none"
        stroke="#fff"
        strokeWidth="3"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
      <circle cx="25" cy="10" r="2.5" fill="#ffd166" />
    </svg>
  );
}

/** The backend's own dashboard: accounts, sites, keys, members and the report per site. */
export function Dashboard() {
  const route = useHashRoute();
  const [version, setVersion] = useState(0);
  const session = useRequest(() => api.session(), String(version));
  // A refresh (site added, renamed, logged out) keeps the last answer on screen, so the page
  // stays mounted and its notices ("Site saved.") survive.
  const last = useRef<Session | null>(null);
  // The newest version asked for, and the first one whose answer may be shown: after a logout,
  // an answer fetched before it must not sign the person back in. React can render ahead of the
  // refresh (the hash change to #/login is a discrete event, the refresh is not) with the old
  // answer still current, which showed "Your sites" again and had it fetch without a session.
  const requested = useRef(0);
  const shownFrom = useRef(0);
  // The page a signed-out person asked for (a deep link); logging in, even after a detour through
  // the sign-up form, lands there instead of on the sites list.
  const wanted = useRef('');
  if (session.status === 'success' && version >= shownFrom.current) last.current = session.data;
  const refresh = () => {
    requested.current += 1;
    setVersion(requested.current);
  };
  /** The session is gone (a logout, or a password reset that ended them all): nothing from before shows again. */
  const forgetSession = () => {
    last.current = { type: 'anonymous' };
    shownFrom.current = requested.current + 1;
    wanted.current = '';
    refresh();
  };
  const signedOut = () => {
    go({ name: 'login' });
    forgetSession();
  };

  if (session.status === 'error') {
    return (
      <Notice status="error" isDismissible={false}>
        {sprintf(__('Could not reach the Clickpath server: %s', 'clickpath'), session.error.message)}{' '}
        <Button variant="secondary" onClick={refresh}>
          {__('Try again', 'clickpath')}
        </Button>
      </Notice>
    );
  }
  // Pages a mailed link opens work signed in or not (the link may open in another browser).
  if (route.name === 'reset-password' || route.name === 'verify-email') {
    return (
      <main className="clickpath-dashboard__main">
        {route.name === 'reset-password' ? (
          <ResetPasswordForm key={route.token} token={route.token} onDone={forgetSession} />
        ) : (
          <VerifyEmailPage key={route.token} token={route.token} onDone={refresh} />
        )}
      </main>
    );
  }
  const me = last.current;
  if (!me) {
    return (
      <div className="clickpath-state clickpath-state--loading" role="status">
        <Spinner /> {__('Loading…', 'clickpath')}
      </div>
    );
  }
  if (route.name === 'invitation') {
    return (
      <main className="clickpath-dashboard__main">
        <InvitationLinkPage
          key={route.token}
          token={route.token}
          account={me.type === 'session' ? me.account : null}
          onLogIn={() => {
            wanted.current = window.location.hash;
            go({ name: 'login' });
          }}
          onJoined={(site) => {
            go(site ? { name: 'report', siteId: site.id } : { name: 'sites' });
            refresh();
          }}
        />
      </main>
    );
  }
  if (me.type !== 'session') {
    // Read from the location, not the route: a logout has set #/login before the route state follows.
    if (!isAuthPage(window.location.hash)) wanted.current = window.location.hash;
    if (route.name === 'forgot-password') {
      return (
        <main className="clickpath-dashboard__main">
          <ForgotPasswordForm />
        </main>
      );
    }
    return (
      <main className="clickpath-dashboard__main">
        <AuthForm
          mode={route.name === 'signup' ? 'signup' : 'login'}
          onDone={() => {
            if (isAuthPage(window.location.hash)) {
              if (wanted.current) window.location.hash = wanted.current;
              else go({ name: 'sites' });
            }
            wanted.current = '';
            refresh();
          }}
        />
      </main>
    );
  }

  const { account, sites, operator = false } = me;
  const siteOf = (id: string) => sites.find((s) => s.id === id);
  let page;
  if (route.name === 'report' || route.name === 'site-settings') {
    const site = siteOf(route.siteId);
    if (!site)
      // A site just added is missing from the old answer until the refresh lands.
      page =
        session.status === 'loading' ? (
          <div className="clickpath-state clickpath-state--loading" role="status">
            <Spinner /> {__('Loading…', 'clickpath')}
          </div>
        ) : (
          <Notice status="warning" isDismissible={false}>
            {__('This site does not exist or you have no access to it.', 'clickpath')}
          </Notice>
        );
    // The site would answer every request 403 two_factor_required: say why once, instead.
    else if (site.requireTwoFactor === true && account.twoFactorEnabled !== true)
      page = <TwoFactorRequired site={site} />;
    else if (route.name === 'report') page = <SiteReport site={site} />;
    else
      page = (
        <SiteSettings
          site={site}
          ownTwoFactor={account.twoFactorEnabled === true}
          onChanged={refresh}
          onDeleted={() => {
            go({ name: 'sites' });
            refresh();
          }}
        />
      );
  } else if (route.name === 'account') {
    page = <AccountPage profile={account} onChanged={refresh} onDeleted={signedOut} />;
  } else if (route.name === 'outbox' && operator) {
    page = <OutboxPage />;
  } else {
    page = (
      <SitesPage
        sites={sites}
        verified={account.emailVerified !== false}
        onChanged={(created) => {
          refresh();
          if (created) go({ name: 'site-settings', siteId: created.id });
        }}
      />
    );
  }

  const current = route.name === 'report' || route.name === 'site-settings' ? route.siteId : '';
  return (
    <div className="clickpath-dashboard">
      <header className="clickpath-dashboard__header">
        <a className="clickpath-dashboard__brand" href="#/sites">
          <Mark />
          Clickpath
        </a>
        <nav aria-label={__('Sites', 'clickpath')} className="clickpath-dashboard__nav">
          {sites.map((s) => (
            <a
              key={s.id}
              href={routeHash({ name: 'report', siteId: s.id })}
              aria-current={s.id === current ? 'page' : undefined}
            >
              {s.name}
            </a>
          ))}
        </nav>
        <span className="clickpath-dashboard__user">
          {operator && <a href="#/outbox">{__('Outbox', 'clickpath')}</a>}
          <a href="#/account">{account.name || account.email}</a>
          <Button
            variant="tertiary"
            onClick={() => {
              void api.logout().finally(signedOut);
            }}
          >
            {__('Log out', 'clickpath')}
          </Button>
        </span>
      </header>
      <main className="clickpath-dashboard__main">
        <VerificationNotice key={`${account.email}|${account.pendingEmail ?? ''}`} profile={account} />
        {page}
      </main>
    </div>
  );
}

const container = document.getElementById('clickpath-dashboard');
if (container) mount(container, <Dashboard />);
