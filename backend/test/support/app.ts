import { randomBytes } from 'node:crypto';

import type { RequestListener } from 'node:http';

import type { Express } from 'express';
import mongoose from 'mongoose';
import request from 'supertest';

import { createServer, type Server } from '../../src/app';
import { loadConfig, type Config } from '../../src/lib/config';
import { connectDatabase, disconnectDatabase, ensureIndexes } from '../../src/lib/db';
import { createLogger } from '../../src/lib/logger';
import type { Mailer } from '../../src/mail/mailer';
import { resetSecretCache } from '../../src/lib/secrets';
import { goalConversionsIdle } from '../../src/webhooks/conversions';
import { runMigrations } from '../../src/migrations/run';
import { auditSiteKeys } from './site-audit';

/** Browsers send this Origin in tests; the test config trusts it. */
export const TEST_ORIGIN = 'http://dashboard.clickpath.test';

export interface TestApp {
  app: Express;
  /** The full listener (collector + Express), as server.ts serves it. */
  handler: RequestListener;
  collector: Server['collector'];
  config: Config;
  /** Where the app sends mail (SMTP_URL in `env`, else the outbox); `idle()` waits for queued mail. */
  mailer: Mailer;
  db: mongoose.mongo.Db;
  close(): Promise<void>;
}

/**
 * Connects to a fresh database (unique per test file) on the run's server, or on
 * the server at `base` when given, migrates it, and builds the app the way server.ts does.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  now?: () => Date,
  base = process.env.CLICKPATH_TEST_DB_BASE,
): Promise<TestApp> {
  if (!base) throw new Error('CLICKPATH_TEST_DB_BASE is not set: run tests through jest (global setup)');
  const dbName = `cp_test_${randomBytes(6).toString('hex')}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    TRUST_PROXY_HOPS: '1',
    ALLOWED_ORIGINS: TEST_ORIGIN,
    ...env,
  });
  const logger = createLogger(config.LOG_LEVEL);
  resetSecretCache();
  // Monitored: the shard-key audit sees every command (test/support/site-audit.ts).
  await connectDatabase(`${base}/${dbName}?monitorCommands=true`);
  auditSiteKeys();
  await runMigrations(logger);
  await ensureIndexes();
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  const server = createServer({ config, logger, ...(now ? { now } : {}) });
  return {
    app: server.app,
    handler: server.listener,
    collector: server.collector,
    config,
    mailer: server.mailer,
    db,
    close: async () => {
      // Goal conversions a batch handed to the webhooks are queued in the background: let them finish first.
      await goalConversionsIdle();
      await server.mailer.idle();
      server.mailer.close();
      await db.dropDatabase();
      await disconnectDatabase();
    },
  };
}

let ipCounter = 0;

/** A distinct client address per simulated person, sent as X-Forwarded-For (the test config trusts one hop). */
export function nextIp(): string {
  ipCounter += 1;
  return `198.51.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  ip: string;
  agent: request.Agent;
}

/** What supertest can send to: an app in this process, or the origin of a running server (test/support/real-server.ts). */
export type Target = Parameters<typeof request>[0];

/**
 * Signs up a new user, logs them in, and returns an agent that carries their
 * session cookie and a trusted Origin (a running server must allow TEST_ORIGIN).
 * The address counts as confirmed (set in the test file's database, which a running server
 * shares) unless `verified: false`; the mail flows themselves are tested in accounts/.
 */
export async function signUp(
  app: Target,
  overrides: Partial<{ email: string; password: string; name: string; verified: boolean }> = {},
): Promise<TestUser> {
  const email = overrides.email ?? `user-${randomBytes(4).toString('hex')}@example.com`;
  const password = overrides.password ?? `correct horse ${randomBytes(4).toString('hex')}`;
  const ip = nextIp();
  const agent = request.agent(app).set('Origin', TEST_ORIGIN).set('X-Forwarded-For', ip);
  const signup = await agent.post('/api/v1/auth/signup').send({ email, password, name: overrides.name ?? 'Test User' });
  if (signup.status !== 202) throw new Error(`signup failed: ${signup.status} ${JSON.stringify(signup.body)}`);
  if (overrides.verified !== false) {
    const db = mongoose.connection.db;
    if (!db) throw new Error('signUp needs the test database connection (startTestApp)');
    await db
      .collection('accounts')
      .updateOne({ email: email.trim().toLowerCase() }, { $set: { emailVerifiedAt: new Date() } });
  }
  const res = await agent.post('/api/v1/auth/login').send({ email, password });
  if (res.status !== 200) throw new Error(`login after signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, email, password, ip, agent };
}

export interface TestSite {
  id: string;
  publicId: string;
}

export async function createSite(user: TestUser, body: Record<string, unknown> = {}): Promise<TestSite> {
  const res = await user.agent
    .post('/api/v1/sites')
    .send({ name: 'My blog', domain: 'blog.example.com', timezone: 'Europe/Amsterdam', ...body });
  if (res.status !== 201) throw new Error(`create site failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, publicId: res.body.publicId as string };
}

export async function createKey(
  user: TestUser,
  siteId: string,
  scopes: string[] = ['stats:read'],
): Promise<{ id: string; secret: string }> {
  const res = await user.agent.post(`/api/v1/sites/${siteId}/keys`).send({ name: 'test key', scopes });
  if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, secret: res.body.secret as string };
}

/** Invites `user` to the site with `role` and has them accept, as the two people would in the dashboard. */
export async function addMember(
  owner: TestUser,
  siteId: string,
  user: TestUser,
  role: 'admin' | 'viewer',
): Promise<void> {
  const invited = await owner.agent.post(`/api/v1/sites/${siteId}/members`).send({ email: user.email, role });
  if (invited.status !== 202) throw new Error(`invite failed: ${invited.status} ${JSON.stringify(invited.body)}`);
  const accepted = await user.agent.post(`/api/v1/invitations/${invited.body.id as string}/accept`);
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
}
