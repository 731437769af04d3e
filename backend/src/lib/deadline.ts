import { AsyncLocalStorage } from 'node:async_hooks';

import type { RequestHandler } from 'express';

import { AppError } from './errors';

interface Deadline {
  /** Epoch milliseconds after which the request's work is abandoned. */
  readonly at: number;
  readonly ms: number;
}

const current = new AsyncLocalStorage<Deadline>();

/** The one answer for a request that ran past its deadline. */
export function deadlineExceeded(ms = current.getStore()?.ms): AppError {
  return new AppError(
    'service_unavailable',
    'The request took too long and was abandoned; try again shortly',
    ms === undefined ? undefined : { deadlineMs: ms },
    { 'Retry-After': '5' },
  );
}

/** The database stopped a query at its time limit (MaxTimeMSExpired). */
export function isDeadlineError(error: unknown): boolean {
  return (error as { code?: unknown })?.code === 50;
}

/**
 * Gives every request `ms` milliseconds: past that it is answered 503 (unless its
 * response already started streaming), and its work stops at the next database call
 * (which carries the remaining time as its server time limit) or `checkDeadline()`.
 */
export function requestDeadline(ms: number): RequestHandler {
  return (_req, res, next) => {
    const deadline: Deadline = { at: Date.now() + ms, ms };
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      const error = deadlineExceeded(ms);
      res.set(error.headers).status(error.status).json(error.toBody());
    }, ms);
    res.once('close', () => clearTimeout(timer));
    current.run(deadline, next);
  };
}

/** Milliseconds left for the current request (at least 1), or undefined outside a request. */
export function remainingMs(): number | undefined {
  const deadline = current.getStore();
  return deadline ? Math.max(1, deadline.at - Date.now()) : undefined;
}

/** Throws the 503 once the current request is past its deadline; for loops over many rows. */
export function checkDeadline(): void {
  const deadline = current.getStore();
  if (deadline && Date.now() >= deadline.at) throw deadlineExceeded(deadline.ms);
}

/** Query options that make the database give up when the request's time is up (FerretDB honours maxTimeMS). */
export function deadlineOptions(): { maxTimeMS?: number } {
  const ms = remainingMs();
  return ms === undefined ? {} : { maxTimeMS: ms };
}
