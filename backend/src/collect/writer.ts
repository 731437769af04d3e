import { appendToInbox } from './inbox';
import type { StoredEvent } from './model';

interface Pending {
  docs: StoredEvent[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface WriterOptions {
  /** Largest number of events in one inbox document. */
  maxBatch: number;
}

/**
 * Group commit into the inbox: requests that arrive while a write is in flight
 * are written together by the next one, and each request is answered only after
 * the write holding its events was acknowledged by the database. Under load one
 * write carries thousands of events; when idle each request writes at once.
 */
export class EventWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly options: WriterOptions = { maxBatch: 2000 }) {}

  write(docs: StoredEvent[]): Promise<void> {
    if (docs.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ docs, resolve, reject });
      if (!this.flushing) this.flushing = this.drain();
    });
  }

  /** Resolves once everything queued so far is written (graceful shutdown). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    // Let requests parsed in the same turn of the event loop join the first write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      let size = 0;
      while (this.queue.length > 0 && (size === 0 || size + this.queue[0]!.docs.length <= this.options.maxBatch)) {
        const next = this.queue.shift()!;
        batch.push(next);
        size += next.docs.length;
      }
      try {
        await appendToInbox(batch.flatMap((p) => p.docs));
        batch.forEach((p) => p.resolve());
      } catch (error) {
        batch.forEach((p) => p.reject(error));
      }
    }
    this.flushing = null;
  }
}
