import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { GatewayError, InvalidInputError, type ErrorCode } from '../../common/errors';
import type { Logger } from '../../common/logger';

/** The one place where error codes become HTTP status codes. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  'invalid-input': 400,
  unauthenticated: 401,
  forbidden: 403,
  'quota-exceeded': 429,
  'not-found': 404,
  conflict: 409,
  'kernel-died': 410,
  'kernel-launch-failed': 500,
  'image-build-failed': 500,
  internal: 500,
  'not-implemented': 501,
  'registry-refused': 502,
  'backend-unavailable': 503,
  'launch-timeout': 504,
};

/** Error body: a superset of Jupyter Server's `{message, reason}` (reason is the HTTP phrase). */
export interface ErrorBody {
  readonly message: string;
  readonly reason: string;
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  readonly traceback?: string;
}

export function errorBody(error: unknown): { status: number; body: ErrorBody } {
  const gatewayError =
    error instanceof GatewayError
      ? error
      : error instanceof URIError // a request path with broken %-encoding (express and the upgrade handler decode it)
        ? new InvalidInputError(
            `The URL is not valid: ${error.message.replace(/^URI malformed$/, 'malformed %-encoding')}. Percent-encode path segments (encodeURIComponent).`,
          )
        : new GatewayError(
            'internal',
            `Internal error: ${error instanceof Error ? error.message : String(error)}. The gateway log has the details.`,
          );
  const status = STATUS_BY_CODE[gatewayError.code];
  const stderrTail = gatewayError.details?.['stderrTail'];
  return {
    status,
    body: {
      message: gatewayError.message,
      reason: STATUS_CODES[status] ?? 'Error',
      code: gatewayError.code,
      ...(gatewayError.details ? { details: gatewayError.details } : {}),
      ...(typeof stderrTail === 'string' && stderrTail ? { traceback: stderrTail } : {}),
    },
  };
}

export function errorHandler(log: Logger) {
  return (error: unknown, request: Request, response: Response, next: NextFunction): void => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const { status, body } = errorBody(error);
    if (status >= 500) log.error({ err: error, method: request.method, url: request.path }, 'request failed');
    response.status(status).json(body);
  };
}
