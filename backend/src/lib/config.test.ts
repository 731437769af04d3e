import path from 'node:path';

import { loadConfig } from './config';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

describe('loadConfig DATA_DIR', () => {
  it('when DATA_DIR is unset, then data goes to <repo>/data, not under the working directory', () => {
    expect(loadConfig({}).DATA_DIR).toBe(path.join(repoRoot, 'data'));
  });

  it('when DATA_DIR is relative, then it is taken from the repository root; an absolute one is kept', () => {
    expect(loadConfig({ DATA_DIR: 'var/clickpath' }).DATA_DIR).toBe(path.join(repoRoot, 'var', 'clickpath'));
    expect(loadConfig({ DATA_DIR: '/srv/clickpath' }).DATA_DIR).toBe('/srv/clickpath');
  });
});

describe('loadConfig mail', () => {
  it('when no mail variable is set, then mail goes to the local outbox from a local sender', () => {
    const config = loadConfig({});
    expect(config.SMTP_URL).toBeUndefined();
    expect(config.MAIL_FROM).toBe('Clickpath <noreply@clickpath.localhost>');
    expect(config.ADMIN_EMAILS).toEqual([]);
  });

  it('when SMTP_URL, MAIL_FROM and ADMIN_EMAILS are valid, then they are kept (addresses lowercased)', () => {
    const config = loadConfig({
      SMTP_URL: 'smtps://user:pass@mail.example.com:465',
      MAIL_FROM: 'Analytics <analytics@example.com>',
      ADMIN_EMAILS: ' Ops@Example.com, root@example.com ',
    });
    expect(config.SMTP_URL).toBe('smtps://user:pass@mail.example.com:465');
    expect(config.MAIL_FROM).toBe('Analytics <analytics@example.com>');
    expect(config.ADMIN_EMAILS).toEqual(['ops@example.com', 'root@example.com']);
    expect(loadConfig({ MAIL_FROM: 'noreply@example.com' }).MAIL_FROM).toBe('noreply@example.com');
  });

  it('when the mail variables are malformed, then startup stops naming each of them', () => {
    expect(() =>
      loadConfig({ SMTP_URL: 'http://mail.example.com', MAIL_FROM: 'Clickpath <nobody>', ADMIN_EMAILS: 'ops' }),
    ).toThrow(
      /SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL[^\n]*\n {2}MAIL_FROM: must be an address or "Name <address>"\n {2}ADMIN_EMAILS\.0: /,
    );
  });
});

describe('loadConfig webhooks', () => {
  it('when nothing is set, then webhooks go to public addresses only, with a 10-second deadline', () => {
    const config = loadConfig({});
    expect(config.WEBHOOKS_ALLOW_PRIVATE).toBe(false);
    expect(config.WEBHOOKS_TIMEOUT_MS).toBe(10_000);
    expect(loadConfig({ WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOKS_TIMEOUT_MS: '2500' })).toMatchObject({
      WEBHOOKS_ALLOW_PRIVATE: true,
      WEBHOOKS_TIMEOUT_MS: 2500,
    });
  });

  it('when the webhook variables are malformed, then startup stops naming each of them', () => {
    expect(() => loadConfig({ WEBHOOKS_ALLOW_PRIVATE: 'yes', WEBHOOKS_TIMEOUT_MS: '60000' })).toThrow(
      /WEBHOOKS_ALLOW_PRIVATE: [^\n]*\n {2}WEBHOOKS_TIMEOUT_MS: /,
    );
  });
});
