import type { Types } from 'mongoose';

import { findAccount, firstAccountId } from '../accounts/service';
import { AppError } from '../lib/errors';
import { OutboxMessage, type OutboxDoc } from './model';

export interface OutboxView {
  id: string;
  to: string;
  subject: string;
  kind: string;
  text: string;
  html: string;
  createdAt: string;
}

const OUTBOX_PAGE = 100;

/**
 * Whether the account operates this instance and so may read its outbox: one of ADMIN_EMAILS,
 * or, when that is unset, the first account created (whoever set the instance up).
 */
export async function isOperator(accountId: Types.ObjectId, adminEmails: readonly string[]): Promise<boolean> {
  if (adminEmails.length === 0) return (await firstAccountId())?.equals(accountId) ?? false;
  const account = await findAccount(accountId);
  return account !== null && adminEmails.includes(account.email);
}

/** 403 unless the account operates this instance. */
export async function requireOperator(accountId: Types.ObjectId, adminEmails: readonly string[]): Promise<void> {
  if (!(await isOperator(accountId, adminEmails))) {
    throw new AppError('forbidden', 'Only the operator of this instance (ADMIN_EMAILS) may read its outbox');
  }
}

/** The newest messages kept in the outbox, newest first. */
export async function listOutbox(): Promise<OutboxView[]> {
  const messages = await OutboxMessage.find().sort({ createdAt: -1, _id: -1 }).limit(OUTBOX_PAGE).lean<OutboxDoc[]>();
  return messages.map((m) => ({
    id: m._id.toHexString(),
    to: m.to,
    subject: m.subject,
    kind: m.kind,
    text: m.text,
    html: m.html,
    createdAt: m.createdAt.toISOString(),
  }));
}
