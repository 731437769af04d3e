import { createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request a receiver got. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When it arrived. */
  at: Date;
}

/** Answers one request; the default answers 200 `ok`. */
export type Answer = (res: ServerResponse, req: Received) => void;

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  received: Received[];
  /** Answers the next requests in this order, then 200 again. */
  answerNext(...answers: Answer[]): void;
  /** Waits until `count` requests arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export const status =
  (code: number, body = '', headers: Record<string, string> = {}): Answer =>
  (res) => {
    res.writeHead(code, headers).end(body);
  };

/**
 * A webhook receiver for tests: a real node:http server on 127.0.0.1 that records every
 * request whole and answers as told.
 */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const queue: Answer[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: new Date(),
      };
      received.push(entry);
      (queue.shift() ?? status(200, 'ok'))(res, entry);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    received,
    answerNext: (...answers) => queue.push(...answers),
    async waitFor(count, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > until) throw new Error(`expected ${count} webhook requests, got ${received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return received;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * What a receiver does with Clickpath-Signature, written out independently of the backend's
 * code: HMAC-SHA256 keyed by the secret over `${t}.${body}`, compared in constant time, with
 * the timestamp within five minutes of `now`.
 */
export function receiverVerifies(secret: string, req: Received, now = new Date()): boolean {
  const header = String(req.headers['clickpath-signature'] ?? '');
  const fields = new Map(header.split(',').map((part) => part.split('=') as [string, string]));
  const t = Number(fields.get('t'));
  const v1 = fields.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(now.getTime() / 1000 - t) > 300 || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${req.body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
