import pino, { type Logger } from 'pino';

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

export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'clickpath' },
  });
}
