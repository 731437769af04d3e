import { appendSerialised, type SerialisedChunk } from '../aggregate/service';
import { partitionOf } from '../lib/partition';
import { scrubControl } from './event-schema';
import type { StoredEvent } from './model';

interface Pending {
  /** The request's events by partition of their site, as JSON array elements without the brackets. */
  parts: Map<number, { json: string; count: number }>;
  bytes: number;
  count: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface WriterOptions {
  /** Largest number of events in one commit (one inbox document per partition of the sites in it). */
  maxBatch: number;
  /** Largest serialised size of one commit, so of each of its inbox documents (the database refuses documents over 16 MiB). */
  maxBatchBytes: number;
  /** Serialised bytes waiting for a commit beyond which new writes are refused (WriterOverloaded). */
  maxQueuedBytes: number;
}

export const DEFAULT_WRITER_OPTIONS: WriterOptions = {
  maxBatch: 2000,
  maxBatchBytes: 4 * 1024 * 1024,
  maxQueuedBytes: 64 * 1024 * 1024,
};

/** The writer's queue is over its byte budget: the collector answers 503 with Retry-After. */
export class WriterOverloaded extends Error {
  constructor() {
    super('The event queue is full');
    this.name = 'WriterOverloaded';
  }
}

/**
 * The events as JSON without a control character in any string. The schema cleans the
 * fields it parses; this also covers what enrichment derives (UTM values decoded from
 * the URL, user-agent parts). JSON escapes C0 characters (\n, \u0001) and passes C1 ones
 * through, so text without either (or an escaped backslash) needs no second pass.
 */
function serialise(docs: StoredEvent[]): string {
  const json = JSON.stringify(docs);
  if (!/\\[bfnrtu]|[\u007f-\u009f]/.test(json)) return json;
  return JSON.stringify(docs, (_key, value: unknown) => (typeof value === 'string' ? scrubControl(value) : value));
}

/**
 * Group commit into the inbox: requests that arrive while a write is in flight
 * are written together by the next one, and each request is answered only after
 * the write holding its events was acknowledged by the database. Under load one
 * write carries thousands of events; when idle each request writes at once. A
 * commit is bounded in events and in bytes (a lone request larger than the byte
 * budget is committed alone), and the queue in bytes.
 */
export class EventWriter {
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private flushing: Promise<void> | null = null;
  readonly limits: WriterOptions;

  constructor(options: Partial<WriterOptions> = {}) {
    this.limits = { ...DEFAULT_WRITER_OPTIONS, ...options };
  }

  write(docs: StoredEvent[]): Promise<void> {
    if (docs.length === 0) return Promise.resolve();
    // Serialised now, once: the byte bound needs the size, and the commit reuses the text.
    const byPartition = new Map<number, StoredEvent[]>();
    for (const doc of docs) {
      const partition = partitionOf(doc.siteId);
      const list = byPartition.get(partition);
      if (list) list.push(doc);
      else byPartition.set(partition, [doc]);
    }
    const parts = new Map(
      [...byPartition].map(([partition, list]) => [
        partition,
        { json: serialise(list).slice(1, -1), count: list.length },
      ]),
    );
    const bytes = [...parts.values()].reduce((sum, part) => sum + Buffer.byteLength(part.json), 0);
    if (this.queue.length > 0 && this.queuedBytes + bytes > this.limits.maxQueuedBytes) {
      return Promise.reject(new WriterOverloaded());
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ parts, bytes, count: docs.length, resolve, reject });
      this.queuedBytes += bytes;
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
    const { maxBatch, maxBatchBytes } = this.limits;
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      let count = 0;
      let bytes = 0;
      while (this.queue.length > 0) {
        const next = this.queue[0]!;
        const fits = count + next.count <= maxBatch && bytes + next.bytes + 2 <= maxBatchBytes;
        if (batch.length > 0 && !fits) break;
        this.queue.shift();
        batch.push(next);
        count += next.count;
        bytes += next.bytes + 1;
      }
      try {
        await appendSerialised(chunksOf(batch));
        batch.forEach((p) => p.resolve());
      } catch (error) {
        batch.forEach((p) => p.reject(error));
      } finally {
        this.queuedBytes -= batch.reduce((sum, p) => sum + p.bytes, 0);
      }
    }
    this.flushing = null;
  }
}

/** A commit's events as one chunk per partition. */
function chunksOf(batch: readonly Pending[]): SerialisedChunk[] {
  const parts = new Map<number, { json: string[]; count: number }>();
  for (const pending of batch) {
    for (const [partition, { json, count }] of pending.parts) {
      const part = parts.get(partition) ?? { json: [], count: 0 };
      part.json.push(json);
      part.count += count;
      parts.set(partition, part);
    }
  }
  return [...parts].map(([partition, part]) => ({ partition, json: `[${part.json.join(',')}]`, count: part.count }));
}
