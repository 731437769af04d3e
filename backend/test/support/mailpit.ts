import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

import { Types } from 'mongoose';

import { REPO_ROOT } from '../../src/lib/paths';
import { childPort } from './ports';

/**
 * A real SMTP server for the email tests: Mailpit (installed into .tools/bin by
 * `npm run setup:mail`, which `npm test` runs when it is missing), started per test file on
 * free loopback ports with an in-memory store, and read through its HTTP API.
 */

const BINARY = process.env.MAILPIT_BIN ?? path.join(REPO_ROOT, '.tools', 'bin', 'mailpit');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface MailpitAddress {
  Name: string;
  Address: string;
}

export interface MailpitSummary {
  ID: string;
  From: MailpitAddress;
  To: MailpitAddress[];
  Subject: string;
  Created: string;
}

export interface MailpitMessage extends MailpitSummary {
  Text: string;
  HTML: string;
  /** Every image, stylesheet and link the HTML refers to, as Mailpit lists them. */
  Inline: unknown[];
  Attachments: unknown[];
}

export interface Mailpit {
  /** For the backend's SMTP_URL. */
  smtpUrl: string;
  apiUrl: string;
  /** Messages to `to` (all when omitted), newest first. */
  list(to?: string): Promise<MailpitSummary[]>;
  message(id: string): Promise<MailpitMessage>;
  headers(id: string): Promise<Record<string, string[]>>;
  /** Waits until `count` messages to `to` (with `subject`, when given) have arrived; returns them whole, newest first. */
  waitFor(to: string, options?: { subject?: string; count?: number; timeoutMs?: number }): Promise<MailpitMessage[]>;
  stop(): Promise<void>;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Mailpit ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function startMailpit(): Promise<Mailpit> {
  try {
    accessSync(BINARY, constants.X_OK);
  } catch {
    throw new Error(`Mailpit is not installed at ${BINARY}: run \`npm run setup:mail\` (needs Go 1.24+)`);
  }
  const [smtpPort, httpPort] = [await childPort(), await childPort()];
  const child: ChildProcess = spawn(
    BINARY,
    ['--smtp', `127.0.0.1:${smtpPort}`, '--listen', `127.0.0.1:${httpPort}`, '--database', '', '--quiet'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const apiUrl = `http://127.0.0.1:${httpPort}/api/v1`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Mailpit exited with code ${child.exitCode}: ${stderr}`);
    try {
      await getJson(`${apiUrl}/info`);
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Mailpit did not answer within 15 s: ${stderr}`, { cause: error });
      }
      await sleep(100);
    }
  }

  const list = async (to?: string) => {
    const url = to
      ? `${apiUrl}/search?query=${encodeURIComponent(`to:"${to}"`)}&limit=200`
      : `${apiUrl}/messages?limit=200`;
    const { messages } = await getJson<{ messages: MailpitSummary[] }>(url);
    // Search matches substrings; only exact recipients count.
    return to ? messages.filter((m) => m.To.some((r) => r.Address.toLowerCase() === to.toLowerCase())) : messages;
  };
  const message = (id: string) => getJson<MailpitMessage>(`${apiUrl}/message/${id}`);
  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    apiUrl,
    list,
    message,
    headers: (id) => getJson<Record<string, string[]>>(`${apiUrl}/message/${id}/headers`),
    async waitFor(to, { subject, count = 1, timeoutMs = 10_000 } = {}) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = (await list(to)).filter((m) => subject === undefined || m.Subject === subject);
        if (found.length >= count) return Promise.all(found.map((m) => message(m.ID)));
        if (Date.now() > until) {
          throw new Error(
            `expected ${count} message(s) to ${to} (${subject ?? 'any subject'}) within ${timeoutMs} ms, got ${found.length}`,
          );
        }
        await sleep(50);
      }
    },
    stop,
  };
}

/** The first link in a message's plain text that opens `page` of the dashboard, and its token. */
export function linkIn(message: { Text: string }, page: string): { url: string; token: string } {
  const url = new RegExp(`https?://\\S+/#/${page}\\?token=([A-Za-z0-9_-]+)`).exec(message.Text);
  if (!url?.[1]) throw new Error(`no #/${page} link in:\n${message.Text}`);
  return { url: url[0], token: url[1] };
}

/** How the backend stores a mailed token: its sha256, base64url. */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** An address no other test uses. */
export const uniqueEmail = (label: string) => `${label}-${new Types.ObjectId().toHexString()}@example.com`;
