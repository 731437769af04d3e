import { z } from './zod';

import { AppError } from './errors';

export type InputPart = 'body' | 'query' | 'params';

/** Parses one part of a request; failures become a 400 listing every problem by path. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, part: InputPart): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new AppError(
    'validation_failed',
    `Invalid request ${part}`,
    result.error.issues.map((issue) => ({
      path: [part, ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  );
}

// Control characters never belong in names or labels; they are a common log-injection vector.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** A trimmed single-line string without control characters. */
export const text = (max: number, min = 1) =>
  z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters');

export const email = () =>
  z
    .string()
    .trim()
    .max(254)
    .pipe(z.email())
    .transform((e) => e.toLowerCase())
    // The pipe hides the check from the document; clients (the plugin's REST arguments) read it here.
    .openapi({ format: 'email' });

// No regex flags: the OpenAPI document copies only the source, so `/i` would end up in the pattern.
/** A 24-hex-digit MongoDB ObjectId in a path parameter. */
export const objectId = () => z.string().regex(/^[a-fA-F0-9]{24}$/, 'must be a 24-character hex id');
