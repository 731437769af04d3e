import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * Paths that may carry secrets or personal data. IPs are never logged: request
 * serializers below drop remoteAddress, and these paths catch the rest.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-forwarded-for"]',
  'req.headers["x-real-ip"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.secret',
  '*.key',
  '*.apiKey',
  '*.token',
  '*.ip',
];

export interface LoggerOptions {
  /** One readable line per entry instead of JSON (development); redaction applies either way. */
  pretty?: boolean;
}

/** The process logger: JSON lines for log collectors, or readable lines with `pretty`. */
export function createLogger(level: string, { pretty: readable = false }: LoggerOptions = {}): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'clickpath' } };
  if (!readable) return pino(options);
  // Synchronous, so the last lines before process.exit() are not lost.
  return pino(options, pretty({ sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'service' }));
}
