/**
 * Whether a write failed only because a document with its unique key exists: a
 * single write's E11000, or a bulk write whose every error is one. An insert into
 * a unique key is the one write FerretDB 1.24 keeps exclusive when clients race,
 * so this is how "someone else got there first" is told from a real failure.
 */
export function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: number; writeErrors?: Array<{ code?: number }> };
  return e.code === 11000 || ((e.writeErrors?.length ?? 0) > 0 && e.writeErrors!.every((w) => w.code === 11000));
}
