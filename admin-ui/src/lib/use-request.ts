import { useCallback, useEffect, useRef, useState } from '@wordpress/element';

import { ApiError, isAbort } from '../data/errors';

export type RequestState<T> =
  | { status: 'loading'; data?: undefined; error?: undefined }
  | { status: 'error'; data?: undefined; error: ApiError }
  | { status: 'success'; data: T; error?: undefined };

const toApiError = (error: unknown): ApiError =>
  error instanceof ApiError
    ? error
    : new ApiError('unknown_error', error instanceof Error ? error.message : String(error));

/**
 * Runs `load` whenever `key` changes (and on `reload()`), cancelling the previous
 * request; a late answer to an older key never overwrites a newer one.
 */
export function useRequest<T>(
  load: (signal: AbortSignal) => Promise<T>,
  key: string,
): RequestState<T> & { reload: () => void } {
  const [current, setState] = useState<{ key: string; state: RequestState<T> }>({ key, state: { status: 'loading' } });
  const [attempt, setAttempt] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    let live = true;
    setState({ key, state: { status: 'loading' } });
    loadRef.current(controller.signal).then(
      (data) => {
        if (live) setState({ key, state: { status: 'success', data } });
      },
      (error: unknown) => {
        if (live && !isAbort(error)) setState({ key, state: { status: 'error', error: toApiError(error) } });
      },
    );
    return () => {
      live = false;
      controller.abort();
    };
  }, [key, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  // Until the effect for a new key has run, the stored answer belongs to the old key.
  const state: RequestState<T> = current.key === key ? current.state : { status: 'loading' };
  return { ...state, reload };
}
