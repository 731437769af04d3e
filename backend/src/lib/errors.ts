/** Every failure the API reports has one of these codes; clients switch on the code, not the message. */
export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'invalid_token'
  | 'unauthenticated'
  | 'forbidden'
  | 'email_unverified'
  | 'invalid_code'
  | 'two_factor_required'
  | 'csrf_rejected'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'service_unavailable'
  | 'internal_error';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  invalid_token: 400,
  unauthenticated: 401,
  forbidden: 403,
  email_unverified: 403,
  invalid_code: 403,
  two_factor_required: 403,
  csrf_rejected: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  service_unavailable: 503,
  internal_error: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** An expected failure: its message and details are safe to show to the client. */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.status = STATUS_BY_CODE[code];
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export const notFound = (what = 'Resource'): AppError => new AppError('not_found', `${what} not found`);
