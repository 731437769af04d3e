import { Writable } from 'node:stream';

import { Types } from 'mongoose';
import pino from 'pino';
import request from 'supertest';

import { expectError } from '../../test/support/assert';
import { signUp, startTestApp, type TestApp } from '../../test/support/app';
import { startMailpit, type Mailpit } from '../../test/support/mailpit';
import { createMailer } from './mailer';
import { isOperator } from './outbox';
import { renderMessage } from './template';

const API = '/api/v1';

/** A logger whose lines the test can read. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const content = {
  subject: 'A test message',
  greeting: 'Hello <Ada>,',
  intro: ['One paragraph & another.'],
  action: { label: 'Open the dashboard', url: 'http://dashboard.clickpath.test/#/account?x=1&y=2' },
  outro: ['The end.'],
};

describe('delivery through SMTP', () => {
  let mailpit: Mailpit;
  beforeAll(async () => {
    mailpit = await startMailpit();
  });
  afterAll(() => mailpit.stop());

  it('when SMTP_URL points at a server, then the message arrives from MAIL_FROM with a text and an HTML body and nothing remote', async () => {
    const { logger, lines } = capturedLogger();
    const mailer = createMailer({
      smtpUrl: mailpit.smtpUrl,
      from: 'Clickpath Test <noreply@clickpath.test>',
      logger,
      outboxUrl: 'unused',
    });
    expect(mailer.mode).toBe('smtp');
    await mailer.send({ to: 'ada@example.com', kind: 'test', ...renderMessage(content) });
    mailer.close();

    const [message] = await mailpit.waitFor('ada@example.com');
    expect(message?.From).toEqual({ Name: 'Clickpath Test', Address: 'noreply@clickpath.test' });
    expect(message?.Subject).toBe('A test message');
    expect(message?.Text).toContain('Hello <Ada>,');
    expect(message?.Text).toMatch(
      /Open the dashboard:\r?\nhttp:\/\/dashboard\.clickpath\.test\/#\/account\?x=1&y=2\r?\n/,
    );
    // The HTML escapes what it is given and links the action.
    expect(message?.HTML).toContain('Hello &lt;Ada&gt;,');
    expect(message?.HTML).toContain('One paragraph &amp; another.');
    expect(message?.HTML).toContain('href="http://dashboard.clickpath.test/#/account?x=1&amp;y=2"');
    // No remote images, fonts or stylesheets: nothing that loads when the message is opened.
    expect(message?.HTML).not.toMatch(/<img|<link|@import|url\(|src=/i);
    expect(message?.Inline).toEqual([]);
    expect(message?.Attachments).toEqual([]);
    const headers = await mailpit.headers(message!.ID);
    expect(headers['Content-Type']?.[0]).toMatch(/^multipart\/alternative/);
    // The log names the kind of message, never the address.
    expect(lines).toEqual([expect.objectContaining({ kind: 'test', msg: 'mail sent' })]);
    expect(JSON.stringify(lines)).not.toContain('ada@example.com');
  });

  it('when the SMTP server is unreachable, then send rejects and queue logs the failure without throwing', async () => {
    const { logger, lines } = capturedLogger();
    const mailer = createMailer({ smtpUrl: 'smtp://127.0.0.1:1', from: 'a@example.com', logger, outboxUrl: 'unused' });
    const mail = { to: 'bob@example.com', kind: 'test', ...renderMessage(content) };
    await expect(mailer.send(mail)).rejects.toThrow();
    mailer.queue(mail);
    await mailer.idle();
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: 'mail delivery failed' })]);
    mailer.close();
  });
});

describe('the local outbox (no SMTP_URL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'http://dashboard.clickpath.test' });
  });
  afterAll(() => t.close());

  it('when no SMTP server is configured, then mail is stored in the outbox and the log points to it', async () => {
    const { logger, lines } = capturedLogger();
    const mailer = createMailer({
      smtpUrl: undefined,
      from: 'a@example.com',
      logger,
      outboxUrl: 'http://dashboard.clickpath.test/#/outbox',
    });
    expect(mailer.mode).toBe('outbox');
    await mailer.send({ to: 'carol@example.com', kind: 'test', ...renderMessage(content) });
    const stored = await t.db.collection('outbox').findOne({ to: 'carol@example.com' });
    expect(stored).toMatchObject({
      subject: 'A test message',
      kind: 'test',
      text: expect.stringContaining('Hello <Ada>'),
    });
    expect(stored?.html).toContain('Hello &lt;Ada&gt;');
    expect(lines).toEqual([
      expect.objectContaining({
        kind: 'test',
        outboxId: String(stored?._id),
        msg: 'mail kept in the local outbox (SMTP_URL is not set): read it at http://dashboard.clickpath.test/#/outbox',
      }),
    ]);
  });

  it('when the first account reads the outbox, then it sees the mail newest first; anyone else gets 403, nobody 401', async () => {
    await t.db.collection('accounts').deleteMany({});
    const operator = await signUp(t.app, { name: 'Operator' });
    const other = await signUp(t.app);
    await t.mailer.idle();

    const res = await operator.agent.get(`${API}/admin/outbox`);
    expect(res.status).toBe(200);
    expect(res.body.mode).toBe('outbox');
    const subjects = res.body.messages.map((m: { to: string; subject: string }) => [m.to, m.subject]);
    expect(subjects.slice(0, 2)).toEqual([
      [other.email, 'Confirm your email address for Clickpath'],
      [operator.email, 'Confirm your email address for Clickpath'],
    ]);
    expect(res.body.messages[0]).toEqual({
      id: expect.any(String),
      to: other.email,
      subject: 'Confirm your email address for Clickpath',
      kind: 'verify-email',
      text: expect.stringMatching(/http:\/\/dashboard\.clickpath\.test\/#\/verify-email\?token=/),
      html: expect.stringContaining('<!doctype html>'),
      createdAt: expect.any(String),
    });

    expectError(await other.agent.get(`${API}/admin/outbox`), 403, 'forbidden');
    expectError(await request(t.app).get(`${API}/admin/outbox`), 401, 'unauthenticated');
    expect((await operator.agent.get(`${API}/auth/session`)).body.operator).toBe(true);
    expect((await other.agent.get(`${API}/auth/session`)).body.operator).toBe(false);
  });

  it('when ADMIN_EMAILS is set, then exactly the accounts it names operate the instance', async () => {
    const named = await signUp(t.app);
    const first = await t.db.collection('accounts').find().sort({ createdAt: 1 }).limit(1).next();
    const firstId = first!._id as Types.ObjectId;
    expect(await isOperator(new Types.ObjectId(named.id), [named.email])).toBe(true);
    expect(await isOperator(firstId, [named.email])).toBe(false);
    expect(await isOperator(firstId, [])).toBe(true);
  });
});
