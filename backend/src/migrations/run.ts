import mongoose from 'mongoose';
import type { Logger } from 'pino';

import { migrations } from './index';

interface MigrationRecord {
  _id: number;
  name: string;
  appliedAt: Date;
}

/**
 * Applies numbered migrations that have not run yet, in order. Without
 * transactions a migration can be interrupted, so each must be safe to repeat;
 * it is recorded only after it finished.
 */
export async function runMigrations(logger: Logger): Promise<void> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('runMigrations called before connectDatabase');
  const applied = db.collection<MigrationRecord>('migrations');
  const done = new Set((await applied.find({}, { projection: { _id: 1 } }).toArray()).map((m) => m._id));
  for (const migration of migrations) {
    if (done.has(migration.id)) continue;
    logger.info({ migration: migration.id, name: migration.name }, 'applying migration');
    await migration.up(db);
    await applied.updateOne(
      { _id: migration.id },
      { $setOnInsert: { name: migration.name, appliedAt: new Date() } },
      { upsert: true },
    );
  }
}
