/** Every failed request, whichever host it went through. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;

  constructor(code: string, message: string, status = 0, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export const isApiError = (error: unknown): error is ApiError => error instanceof ApiError;

/** True for a request cancelled by its AbortSignal (not a failure to show). */
export const isAbort = (error: unknown): boolean =>
  (error instanceof Error || (typeof error === 'object' && error !== null)) &&
  ((error as { name?: string }).name === 'AbortError' || (error as { code?: string }).code === 'aborted');
