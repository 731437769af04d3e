/**
 * The one place database failures are classified: "a document with this unique
 * key exists" and "the database cannot be reached", whichever engine (MongoDB
 * or FerretDB) and whatever the call (a single write or a bulk one).
 */

interface WriteError {
  code?: number;
  index?: number;
  err?: { code?: number; index?: number };
}

/** A bulk write's errors, whether the driver lists them as an array or hands a single one. */
function writeErrorsOf(error: unknown): WriteError[] {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  return (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as WriteError[];
}

const codeOf = (e: WriteError) => e.code ?? e.err?.code;

/**
 * Whether a write failed only because a document with its unique key exists: a
 * single write's E11000, or a bulk write whose every error is one. An insert into
 * a unique key is the one write FerretDB 1.24 keeps exclusive when clients race,
 * so this is how "someone else got there first" is told from a real failure.
 */
export function isDuplicateKey(error: unknown): boolean {
  const list = writeErrorsOf(error);
  if (list.length > 0) return list.every((e) => codeOf(e) === 11000);
  const { code, message } = (error ?? {}) as { code?: number; message?: string };
  // FerretDB reports a unique-index clash on an update as an InternalError with SQLite's message.
  return code === 11000 || /UNIQUE constraint failed/.test(message ?? '');
}

/**
 * The indexes, in an unordered bulk insert, of the documents refused because
 * their key exists; rethrows any other failure, including a bulk error that lists
 * no write errors (a lost connection surfaces that way).
 */
export function duplicateKeyIndexes(error: unknown): number[] {
  const list = writeErrorsOf(error);
  if (list.length === 0 || !list.every((e) => codeOf(e) === 11000)) throw error;
  return list.map((e) => e.index ?? e.err?.index ?? -1);
}

/** Driver errors that mean the database cannot be reached now (not that it refused the operation). */
const UNAVAILABLE =
  /^(Mongo(ServerSelection|Network|NetworkTimeout|NotConnected|TopologyClosed|OperationTimeout|PoolCleared|ServerClosed)Error|MongooseServerSelectionError)$/;

/**
 * Whether an operation failed because the database is unreachable: every route
 * and the collector answer 503 with Retry-After then, so clients retry instead
 * of treating it as their fault or a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { name, cause } = (error ?? {}) as { name?: string; cause?: unknown };
  if (UNAVAILABLE.test(name ?? '')) return true;
  if (cause !== undefined && cause !== error && isDatabaseUnavailable(cause)) return true;
  // A bulk write that failed as a whole, no document refused: the connection failed under it.
  return name === 'MongoBulkWriteError' && writeErrorsOf(error).length === 0;
}
