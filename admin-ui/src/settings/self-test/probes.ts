import { loadRealtime, loadSelfTestSetup } from '../query';
import { fetchPage, fetchScript, openVisitorFrame } from './browser';
import type { SelfTestProbes } from './run';

/** The self-test as it runs in wp-admin: the plugin's REST routes and this browser. */
export const browserProbes = (): SelfTestProbes => ({
  setup: loadSelfTestSetup,
  realtime: loadRealtime,
  fetchPage,
  fetchScript,
  openFrame: (policies) => openVisitorFrame(policies),
  // A parsed document loads and runs nothing.
  parse: (html) => new DOMParser().parseFromString(html, 'text/html'),
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  id: () => `selftest-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
  sendsDoNotTrack: () =>
    navigator.doNotTrack === '1' ||
    (navigator as Navigator & { globalPrivacyControl?: boolean }).globalPrivacyControl === true,
});
