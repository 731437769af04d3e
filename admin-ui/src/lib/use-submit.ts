import { useState } from '@wordpress/element';
import { _n, sprintf } from '@wordpress/i18n';

import { fieldErrors } from './field-errors';

interface Options {
  /** The form's fields by the API's names (`domain`, `settings.identityMode`): their messages show beside them. */
  fields?: readonly string[];
  /** Errors without details that still belong to one field, e.g. a 403 "Current password is incorrect". */
  fieldFor?: (error: unknown) => string | undefined;
}

/**
 * A form's submit handler and what every form shows while it runs: busy until the
 * request settles, then the failure's message (null when it worked) and, for each field
 * the API named, its own message (`fieldError(name)`). `action` throws on failure;
 * whatever it does on success (clear fields, close, notify) is its own.
 */
export function useSubmit(action: () => Promise<void>, { fields = [], fieldFor }: Options = {}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [byField, setByField] = useState<Record<string, string>>({});
  const submit = async (event?: { preventDefault(): void }) => {
    event?.preventDefault();
    setBusy(true);
    setError(null);
    setByField({});
    try {
      await action();
    } catch (e) {
      const found = fieldErrors(e, fields);
      const single = fieldFor?.(e);
      if (single && fields.includes(single) && Object.keys(found.byField).length === 0) {
        found.byField[single] = (e as Error).message;
      }
      const placed = Object.keys(found.byField).length;
      setByField(found.byField);
      if (placed === 0) setError((e as Error).message);
      else if (found.rest.length > 0)
        setError(found.rest.map((issue) => `${issue.path.replace(/^body\./, '')}: ${issue.message}`).join(' '));
      // Announced once; each message sits beside its field.
      else setError(sprintf(_n('Check the marked field.', 'Check the %d marked fields.', placed, 'clickpath'), placed));
    } finally {
      setBusy(false);
    }
  };
  return {
    busy,
    error,
    submit,
    fieldError: (name: string): string | undefined => byField[name],
    clearError: () => {
      setError(null);
      setByField({});
    },
    /** Forgets one field's message, e.g. once the user edits it. */
    clearField: (name: string) =>
      setByField((current) => {
        if (!(name in current)) return current;
        const { [name]: _gone, ...rest } = current;
        return rest;
      }),
  };
}
