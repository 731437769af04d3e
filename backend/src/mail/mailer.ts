import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { trusted } from 'mongoose';

import { OutboxMessage } from './model';
import type { RenderedMessage } from './template';

export interface OutgoingMail extends RenderedMessage {
  to: string;
  /** Which message this is, for the outbox and the log (`verify-email`, `password-reset`, …). */
  kind: string;
  /** Extra headers for SMTP (List-Unsubscribe on recurring mail); the outbox does not keep them. */
  headers?: Record<string, string>;
}

export interface Mailer {
  /** `smtp` delivers through SMTP_URL; `outbox` keeps mail on this instance for the operator to read. */
  readonly mode: 'smtp' | 'outbox';
  /** Delivers (or keeps) one message; rejects when the SMTP server refuses it. */
  send(mail: OutgoingMail): Promise<void>;
  /**
   * Sends without making the caller wait, so an answer takes as long whether or not mail went
   * out (and says nothing about which accounts exist); a failure is logged. Given a function,
   * also runs it in the background to compose the message (null: nothing to send).
   */
  queue(mail: OutgoingMail | (() => Promise<OutgoingMail | null>)): void;
  /** Resolves once every queued message was handed over (tests, shutdown). */
  idle(): Promise<void>;
  close(): void;
}

export interface MailerOptions {
  smtpUrl: string | undefined;
  from: string;
  logger: Logger;
  /** Where the dashboard's outbox is, for the log line that points to it. */
  outboxUrl: string;
}

/** The process's mailer: SMTP through nodemailer when SMTP_URL is set, else the local outbox. */
export function createMailer({ smtpUrl, from, logger, outboxUrl }: MailerOptions): Mailer {
  const transport: Transporter | undefined = smtpUrl ? nodemailer.createTransport(smtpUrl) : undefined;
  const pending = new Set<Promise<void>>();

  const send = async (mail: OutgoingMail): Promise<void> => {
    // Addresses are personal data and links are secrets: the log names only the kind of message.
    if (!transport) {
      const kept = await OutboxMessage.create({
        to: mail.to,
        subject: mail.subject,
        kind: mail.kind,
        text: mail.text,
        html: mail.html,
      });
      logger.info(
        { kind: mail.kind, outboxId: kept._id.toHexString() },
        `mail kept in the local outbox (SMTP_URL is not set): read it at ${outboxUrl}`,
      );
      return;
    }
    await transport.sendMail({
      from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      ...(mail.headers ? { headers: mail.headers } : {}),
    });
    logger.info({ kind: mail.kind }, 'mail sent');
  };

  return {
    mode: transport ? 'smtp' : 'outbox',
    send,
    queue(mail) {
      const delivery = (async () => {
        const message = typeof mail === 'function' ? await mail() : mail;
        if (message) await send(message);
      })()
        .catch((error: unknown) => logger.error({ err: error }, 'mail delivery failed'))
        .finally(() => pending.delete(delivery));
      pending.add(delivery);
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    close() {
      transport?.close();
    },
  };
}

const WEEK = 7 * 24 * 60 * 60_000;

/** Deletes outbox mail older than a week (its links have expired by then); run by the scheduler. */
export async function pruneOutbox(now = new Date()): Promise<number> {
  return (await OutboxMessage.deleteMany({ createdAt: trusted({ $lt: new Date(now.getTime() - WEEK) }) })).deletedCount;
}
