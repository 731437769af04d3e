import { Event, type StoredEvent } from './model';

interface Pending {
  docs: StoredEvent[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface WriterOptions {
  /** Largest number of events in one insert. */
  maxBatch: number;
}

const DUPLICATE_KEY = 11000;

interface BulkError {
  code?: number;
  writeErrors?: Array<{ code?: number; index?: number; err?: { code?: number; index?: number } }>;
}

/**
 * Group commit for raw events: requests that arrive while an insert is in flight
 * are written together by the next one, and each request is answered only after
 * the insert holding its events has been acknowledged by the database. Under load
 * a few inserts carry thousands of events; when idle each request writes at once.
 * Duplicate ids (a retried send) count as stored.
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
    // Let requests parsed in the same turn of the event loop join the first insert.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      let size = 0;
      while (this.queue.length > 0 && (size === 0 || size + this.queue[0]!.docs.length <= this.options.maxBatch)) {
        const next = this.queue.shift()!;
        batch.push(next);
        size += next.docs.length;
      }
      await this.insert(batch);
    }
    this.flushing = null;
  }

  private async insert(batch: Pending[]): Promise<void> {
    const docs = batch.flatMap((p) => p.docs);
    try {
      await Event.collection.insertMany(docs as never[], { ordered: false });
      batch.forEach((p) => p.resolve());
    } catch (error) {
      const failedIndexes = realFailures(error as BulkError);
      if (!failedIndexes) {
        batch.forEach((p) => p.reject(error));
        return;
      }
      // Only the requests owning a non-duplicate failure fail; duplicates are already stored.
      let offset = 0;
      for (const pending of batch) {
        const end = offset + pending.docs.length;
        const failed = [...failedIndexes].some((i) => i >= offset && i < end);
        if (failed) pending.reject(error);
        else pending.resolve();
        offset = end;
      }
    }
  }
}

/** Indexes of writes that failed for a reason other than a duplicate id; null when the whole insert failed. */
function realFailures(error: BulkError): Set<number> | null {
  // A lost connection surfaces as a bulk error with no write errors: nothing is known to be stored.
  if (!Array.isArray(error.writeErrors) || error.writeErrors.length === 0) {
    return error.code === DUPLICATE_KEY ? new Set() : null;
  }
  const failures = new Set<number>();
  for (const writeError of error.writeErrors) {
    const code = writeError.code ?? writeError.err?.code;
    const index = writeError.index ?? writeError.err?.index;
    if (code !== DUPLICATE_KEY && index !== undefined) failures.add(index);
  }
  return failures;
}
