import { execFileSync } from 'node:child_process';
import path from 'node:path';

import mongoose from 'mongoose';

import { REPO_ROOT, startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/lib/embedded-db';

declare global {
  var clickpathTestDatabase: EmbeddedDatabase | undefined;
}

/**
 * One database server for the whole run: MONGODB_URI when given, otherwise the
 * same embedded server `npm start` would use. Each test file then works in its
 * own throwaway database on it. An unreachable server fails the run here.
 */
export default async function globalSetup(): Promise<void> {
  // The app serves the built tracker (and the browser suites load it): build it fresh.
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'tracker', 'build.mjs')], { stdio: 'inherit' });
  let base = process.env.MONGODB_URI?.replace(/\/[^/]*$/, '');
  if (!base) {
    const db = await startEmbeddedDatabase({ projectRoot: REPO_ROOT });
    globalThis.clickpathTestDatabase = db;
    base = db.uri;
  }
  const client = new mongoose.mongo.MongoClient(base, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.db('admin').command({ ping: 1 });
  } catch (error) {
    throw new Error(`Test database at ${base} is unreachable: ${(error as Error).message}`, { cause: error });
  } finally {
    await client.close();
  }
  process.env.CLICKPATH_TEST_DB_BASE = base;
  const kind = globalThis.clickpathTestDatabase?.kind ?? 'MONGODB_URI';
  process.stdout.write(`\nTests use database server ${base} (${kind})\n`);
}
