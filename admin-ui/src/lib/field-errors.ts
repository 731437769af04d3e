import { isApiError } from '../data/errors';

/** One problem the API found, as `lib/validate.ts` reports it: `{ path: 'body.domain', message }`. */
interface Issue {
  path: string;
  message: string;
}

const isIssue = (value: unknown): value is Issue =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Issue).path === 'string' &&
  typeof (value as Issue).message === 'string';

/**
 * The API's field messages by form field: `body.domain` goes to `domain`, `body.scopes.0` to
 * `scopes`, `body.settings.identityMode` to `settings.identityMode` when the form has that field
 * (else to `settings`). Issues no field of the form takes are returned as `rest`.
 */
export function fieldErrors(
  error: unknown,
  fields: readonly string[],
): { byField: Record<string, string>; rest: Issue[] } {
  const byField: Record<string, string> = {};
  const rest: Issue[] = [];
  const details = isApiError(error) && Array.isArray(error.details) ? error.details.filter(isIssue) : [];
  for (const issue of details) {
    const key = issue.path.replace(/^(body|query|params)\.?/, '');
    const field = fields.filter((f) => key === f || key.startsWith(`${f}.`)).sort((a, b) => b.length - a.length)[0];
    if (field === undefined) rest.push(issue);
    // The first message per field is the one to fix first.
    else byField[field] ??= issue.message;
  }
  return { byField, rest };
}

/**
 * A field's message as a sentence: the API words them to follow the field's name ("must be a
 * domain name like example.com"), so those get the label in front; whole sentences stay as they are.
 */
export function fieldMessage(label: string, message: string): string {
  const sentence = /^[a-z]/.test(message) ? `${label} ${message}` : message;
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * Props for a TextControl (or any BaseControl) that show the API's message for it as its help
 * text, which the control links to the input with aria-describedby, and mark the input invalid.
 */
export function fieldProps(label: string, message: string | undefined, help?: string) {
  if (!message) return { label, ...(help === undefined ? {} : { help }) };
  return {
    label,
    help: fieldMessage(label, message),
    className: 'clickpath-field--invalid',
    'aria-invalid': true as const,
  };
}
