import type mongoose from 'mongoose';
import type { Response } from 'supertest';

/**
 * Asserts a failure answered with the one error shape `{ error: { code, message, details? } }`,
 * with nothing else in the body and no stack trace or source path leaking into it.
 */
export function expectError(res: Response, status: number, code: string): void {
  expect({ status: res.status, body: res.body as unknown }).toEqual({
    status,
    body: { error: expect.objectContaining({ code, message: expect.any(String) }) },
  });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const error = (res.body as { error: Record<string, unknown> }).error;
  expect(Object.keys(error).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true);
  expect(error.message).not.toBe('');
  expect(res.text).not.toMatch(/\n\s+at |\.[jt]s:\d+|"stack"|node_modules/);
}

/** Every document of every collection as one JSON string, to prove a secret is stored nowhere. */
export async function dumpDatabase(db: mongoose.mongo.Db): Promise<string> {
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  const dump: Record<string, unknown[]> = {};
  for (const { name } of collections) dump[name] = await db.collection(name).find().toArray();
  return JSON.stringify(dump);
}
