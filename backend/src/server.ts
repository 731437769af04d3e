import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { startAggregator, stopAggregator } from './aggregate/aggregator';
import { aggregateJobs } from './aggregate/retention';
import { pruneExpiredSessions } from './accounts/service';
import { pruneExpiredTokens } from './accounts/tokens';
import { pruneLoginChallenges } from './accounts/two-factor';
import { alertJobs } from './alerts/jobs';
import { emailReportJobs } from './email-reports/jobs';
import { pruneAuditLog } from './audit/service';
import { createServer } from './app';
import { pruneSalts } from './collect/identity';
import { warmGeo } from './collect/enrich';
import { loadConfig, publicUrl } from './lib/config';
import { connectDatabase, disconnectDatabase, ensureIndexes } from './lib/db';
import { REPO_ROOT, startEmbeddedDatabase, type EmbeddedDatabase } from './lib/embedded-db';
import { createLogger } from './lib/logger';
import { pruneRateCounters, setRateLimitsEnabled } from './lib/rate-limit';
import { startScheduler } from './lib/scheduler';
import { pruneSpentKeys } from './lib/spend-once';
import { pruneOutbox } from './mail/mailer';
import { runMigrations } from './migrations/run';
import { webhookJobs } from './webhooks/jobs';

const HOUR = 3_600_000;

/** Where a browser on this machine reaches the listener: a wildcard address means localhost. */
function dashboardUrl(host: string, port: number): string {
  const name = ['0.0.0.0', '::', ''].includes(host) ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}/`;
}

async function main(): Promise<void> {
  const config = loadConfig();
  // Readable in development even when piped (`npm start | tee`): people read it; production's JSON goes to collectors.
  const logger = createLogger(config.LOG_LEVEL, { pretty: config.NODE_ENV === 'development' });
  setRateLimitsEnabled(config.RATE_LIMITS);

  let embedded: EmbeddedDatabase | undefined;
  let uri = config.MONGODB_URI;
  if (!uri) {
    embedded = await startEmbeddedDatabase({ dataDir: path.join(config.DATA_DIR, 'db'), projectRoot: REPO_ROOT });
    uri = `${embedded.uri}/clickpath`;
    logger.info(
      { kind: embedded.kind, dataDir: config.DATA_DIR },
      'started embedded database (set MONGODB_URI to use your own)',
    );
  }

  await connectDatabase(uri);
  await runMigrations(logger);
  await ensureIndexes();
  if (!warmGeo()) logger.warn('geolocation database not found; countries and cities stay empty');

  const stopJobs = startScheduler(
    [
      { name: 'prune-sessions', everyMs: HOUR, run: () => pruneExpiredSessions() },
      { name: 'prune-account-tokens', everyMs: HOUR, run: () => pruneExpiredTokens() },
      { name: 'prune-login-challenges', everyMs: HOUR, run: () => pruneLoginChallenges() },
      { name: 'prune-spent-keys', everyMs: HOUR, run: () => pruneSpentKeys() },
      { name: 'prune-outbox', everyMs: HOUR, run: () => pruneOutbox() },
      { name: 'prune-rate-counters', everyMs: 15 * 60_000, run: () => pruneRateCounters() },
      { name: 'prune-salts', everyMs: HOUR, run: () => pruneSalts() },
      { name: 'prune-audit-log', everyMs: 6 * HOUR, run: () => pruneAuditLog(config.AUDIT_RETENTION_DAYS) },
      ...aggregateJobs(),
    ],
    logger,
  );
  // Collector-only replicas (AGGREGATOR=false) leave aggregation to others.
  if (config.AGGREGATOR) startAggregator({ logger });

  const { listener, collector, mailer } = createServer({ config, logger });
  // Notifications need the mailer: webhook deliveries, weekly summaries, the alert check and email reports.
  const stopNotifications = startScheduler(
    [
      ...webhookJobs({ allowPrivate: config.WEBHOOKS_ALLOW_PRIVATE, timeoutMs: config.WEBHOOKS_TIMEOUT_MS }),
      ...alertJobs({ mailer, appUrl: publicUrl(config), logger }),
      ...emailReportJobs({ mailer, appUrl: publicUrl(config), logger }),
    ],
    logger,
  );
  if (mailer.mode === 'outbox') {
    logger.info(`SMTP_URL is not set: mail is kept in the local outbox, readable at ${publicUrl(config)}/#/outbox`);
  }
  const server = http.createServer(listener);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
  const { port } = server.address() as AddressInfo;
  logger.info(`Dashboard: ${dashboardUrl(config.HOST, port)}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stopJobs();
    stopNotifications();
    // Stop accepting connections, let in-flight requests finish, then close the database.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const forceTimer = setTimeout(() => server.closeAllConnections(), 10_000);
    forceTimer.unref();
    await closed;
    await collector.writer.idle();
    await Promise.race([mailer.idle(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    mailer.close();
    // A batch cut short is replayed by the next aggregator (its chunks stay in the
    // inbox until it finished), so shutdown waits for it only briefly.
    await Promise.race([stopAggregator(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    await disconnectDatabase();
    await embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
