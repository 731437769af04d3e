import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { buildTracker } from './harness';

const BUDGET = 800;

describe('tracker build', () => {
  const build = buildTracker();

  it('when built, then the file is at most 800 bytes gzipped and the build passes', () => {
    expect(gzipSync(build.code, { level: 9 }).length).toBeLessThanOrEqual(BUDGET);
    expect(build.status).toBe(0);
    expect(build.output).toMatch(/bytes gzipped/);
  });

  it('when built, then the file is one IIFE expression', () => {
    expect(build.code.trim()).toMatch(/^\(\(\)=>\{[\s\S]*\}\)\(\);?$/);
  });

  it('when run, then the only global it defines is clickpath', () => {
    const noop = () => undefined;
    const script = { src: 'https://cdn.example/clickpath.js', dataset: { site: 'site_test_01', mode: 'first-party' } };
    const sandbox: Record<string, unknown> = {
      document: { currentScript: script, hidden: false, referrer: '', title: 't', dispatchEvent: noop },
      location: { href: 'https://example.com/a', host: 'example.com', pathname: '/a', search: '' },
      navigator: { language: 'en', sendBeacon: () => true },
      history: { pushState: noop, replaceState: noop },
      screen: { width: 1280 },
      localStorage: {},
      addEventListener: noop,
      crypto: { getRandomValues: (a: Uint32Array) => a },
      URL,
      JSON,
      Math,
      Date,
    };
    sandbox.window = sandbox;
    sandbox.self = sandbox;
    const before = new Set(Object.keys(sandbox));
    runInNewContext(build.code, sandbox);
    expect(Object.keys(sandbox).filter((k) => !before.has(k))).toEqual(['clickpath']);
    expect(typeof sandbox.clickpath).toBe('function');
  });
});
