import mongoose from 'mongoose';

import { auditSiteKeys } from './site-audit';

/**
 * Records the commands the driver sends, for tests that assert what a piece of
 * work reads and writes. The connection must have been opened with
 * `monitorCommands=true` (`monitorCommands` below reconnects the test app so).
 */

export interface Command {
  name: string;
  /** The collection, with collections named per day, month, slot or epoch folded into one family. */
  collection: string;
  /** The exact collection name. */
  target: string;
  /** The filter of a find, or of each update/delete statement. */
  filters: unknown[];
}

/** Collections named per day, month, slot or epoch count as one family. */
export const family = (collection: string) =>
  collection
    .replace(/^event_claims_\d+$/, 'event_claims_<day>')
    .replace(/^(events|visits)_\d{8}$/, '$1_<day>')
    .replace(/^visitor_index_\d{6}$/, 'visitor_index_<month>')
    .replace(/^inbox_\d+$/, 'inbox_<slot>')
    .replace(/^aggstate_\w+_(visits|days)$/, 'aggstate_<epoch>_$1');

/** Reconnects mongoose to the same test database with command monitoring on (it is fixed per connection). */
export async function monitorCommands(databaseName: string): Promise<mongoose.mongo.Db> {
  await mongoose.disconnect();
  await mongoose.connect(`${process.env.CLICKPATH_TEST_DB_BASE}/${databaseName}?monitorCommands=true`);
  auditSiteKeys();
  return mongoose.connection.db!;
}

/** Records the commands the driver sends while `work` runs. */
export async function recordCommands(work: () => Promise<unknown>): Promise<Command[]> {
  const client = mongoose.connection.getClient();
  const commands: Command[] = [];
  const listener = (event: { commandName: string; command: Record<string, unknown> }) => {
    const c = event.command;
    const name = event.commandName;
    const target = String(c[name] ?? '');
    const statements = (c.updates ?? c.deletes ?? []) as Array<{ q: unknown }>;
    commands.push({
      name,
      collection: family(target),
      target,
      filters: name === 'find' ? [c.filter] : statements.map((s) => s.q),
    });
  };
  client.on('commandStarted', listener);
  try {
    await work();
  } finally {
    client.off('commandStarted', listener);
  }
  return commands;
}
