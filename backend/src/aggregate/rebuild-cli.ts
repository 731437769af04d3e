import path from 'node:path';

import { Types } from 'mongoose';

import { loadConfig } from '../lib/config';
import { connectDatabase, disconnectDatabase, ensureIndexes } from '../lib/db';
import { REPO_ROOT, startEmbeddedDatabase, type EmbeddedDatabase } from '../lib/embedded-db';
import { createLogger } from '../lib/logger';
import { runMigrations } from '../migrations/run';
import { rebuildRollups } from './rebuild';

/**
 * `npm run rebuild:rollups -- <siteId>`: recomputes a site's visits, visitors and
 * rollups from its raw events. Uses MONGODB_URI, or the embedded database under
 * DATA_DIR the way `npm start` does (stop the server first in that case).
 */
export async function main(argv: readonly string[]): Promise<number> {
  const siteId = argv[0];
  if (!siteId || !Types.ObjectId.isValid(siteId)) {
    process.stderr.write('usage: rebuild-rollups <siteId>\n');
    return 2;
  }
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  let embedded: EmbeddedDatabase | undefined;
  let uri = config.MONGODB_URI;
  if (!uri) {
    embedded = await startEmbeddedDatabase({ dataDir: path.join(config.DATA_DIR, 'db'), projectRoot: REPO_ROOT });
    uri = `${embedded.uri}/clickpath`;
  }
  try {
    await connectDatabase(uri);
    await runMigrations(logger);
    await ensureIndexes();
    const started = Date.now();
    const stats = await rebuildRollups(siteId);
    logger.info({ siteId, ...stats, ms: Date.now() - started }, 'rebuilt rollups');
    return 0;
  } finally {
    await disconnectDatabase();
    await embedded?.stop();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
