import mongoose, { type Connection, type Model } from 'mongoose';

// Filters built from request data must never carry query operators.
mongoose.set('sanitizeFilter', true);
mongoose.set('strictQuery', true);
// Indexes are created explicitly at startup (ensureIndexes) so readiness waits for them.
mongoose.set('autoIndex', false);
mongoose.set('autoCreate', true);

export async function connectDatabase(uri: string): Promise<Connection> {
  await mongoose.connect(uri, {
    serverSelectionTimeoutMS: 5000,
    // Fail fast instead of queueing writes while the database is unreachable.
    bufferCommands: false,
  });
  return mongoose.connection;
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
}

/** True when the database answers a ping; used by /readyz. */
export async function isDatabaseReachable(): Promise<boolean> {
  const db = mongoose.connection.db;
  if (mongoose.connection.readyState !== 1 || !db) return false;
  try {
    await db.command({ ping: 1 }, { timeoutMS: 2000 });
    return true;
  } catch {
    return false;
  }
}

/** Creates every index declared on the registered models. Safe to repeat. */
export async function ensureIndexes(): Promise<void> {
  const models: Model<unknown>[] = Object.values(mongoose.models);
  for (const model of models) {
    await model.createCollection().catch((error: { codeName?: string }) => {
      if (error.codeName !== 'NamespaceExists') throw error;
    });
    await model.createIndexes();
  }
}
