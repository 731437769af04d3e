import { useState } from '@wordpress/element';

/**
 * A form's submit handler and what every form shows while it runs: busy until the
 * request settles, then the failure's message (null when it worked). `action` throws
 * on failure; whatever it does on success (clear fields, close, notify) is its own.
 */
export function useSubmit(action: () => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event?: { preventDefault(): void }) => {
    event?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit, clearError: () => setError(null) };
}
