import path from 'node:path';

import { REPO_ROOT } from './paths';
import { z } from './zod';

const booleanFromEnv = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .optional(),
  // Relative to the repository root whatever the working directory (npm runs workspace scripts in backend/).
  DATA_DIR: z.string().min(1).default('./data'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ }))),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  JSON_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'e.g. 100kb')
    .default('100kb'),
  COOKIE_SECURE: booleanFromEnv.optional(),
  RATE_LIMITS: booleanFromEnv.default(true),
  /** Milliseconds an API request may take before it is answered 503 and its work abandoned. */
  REQUEST_DEADLINE_MS: z.coerce.number().int().min(1).max(600_000).default(30_000),
  /** Events one site may send per minute to one backend process (a burst of a minute's worth, then this rate). */
  COLLECT_SITE_EVENTS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000_000).default(60_000),
  AGGREGATOR: booleanFromEnv.default(true),
  /** Days a site's audit log keeps its entries (deleted with their month once all of it is older). */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(7).max(3650).default(365),
  /** Where mail goes out (`smtp://user:pass@host:587`, `smtps://…:465`); unset → the local outbox. */
  SMTP_URL: z
    .url({
      protocol: /^smtps?$/,
      error: 'must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.com:587',
    })
    .optional(),
  /** The sender of every message: an address, or `Name <address>`. */
  MAIL_FROM: z
    .string()
    .trim()
    .default('Clickpath <noreply@clickpath.localhost>')
    .refine(
      (v) => z.email().safeParse(/^[^<>]*<([^<>]+)>$/.exec(v)?.[1] ?? v).success,
      'must be an address or "Name <address>"',
    ),
  /** Accounts that may read the local outbox; unset → the instance's first account. */
  ADMIN_EMAILS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((e) => e.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.email())),
  /**
   * Whether webhooks may target loopback, private, link-local and other non-public addresses
   * (a receiver on the operator's own network). Off: no request into the server's network.
   */
  WEBHOOKS_ALLOW_PRIVATE: booleanFromEnv.default(false),
  /** Milliseconds one webhook delivery may take, connecting and answering together. */
  WEBHOOKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(10_000),
});

export type Config = Readonly<
  Omit<z.infer<typeof ConfigSchema>, 'COOKIE_SECURE' | 'DATA_DIR'> & {
    DATA_DIR: string;
    COOKIE_SECURE: boolean;
  }
>;

/** Parses and validates configuration; throws one readable error listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  const parsed = result.data;
  return Object.freeze({
    ...parsed,
    DATA_DIR: path.resolve(REPO_ROOT, parsed.DATA_DIR),
    COOKIE_SECURE: parsed.COOKIE_SECURE ?? parsed.NODE_ENV === 'production',
  });
}

/** The dashboard's address as links in mail name it: PUBLIC_URL, else this machine's port. */
export function publicUrl(config: Pick<Config, 'PUBLIC_URL' | 'PORT'>): string {
  return (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
}
