/**
 * Typed, transport-free errors. Backends and services throw these; only
 * `http/middleware/error-handler.ts` maps them to HTTP status codes.
 *
 * Every message says what happened and what to do next.
 */

/** Stable, kebab-case error codes that reach clients in the `code` field. */
export type ErrorCode =
  | 'invalid-input'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'quota-exceeded'
  | 'kernel-launch-failed'
  | 'kernel-died'
  | 'launch-timeout'
  | 'backend-unavailable'
  | 'image-build-failed'
  | 'registry-refused'
  | 'not-implemented'
  | 'internal';

export interface GatewayErrorOptions {
  /** Structured, client-safe context (never secrets). */
  readonly details?: Record<string, unknown>;
  /** The lower-level error that caused this one. */
  readonly cause?: unknown;
}

/** Base class: `code` is stable, `message` is for people. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

/** Cause: a request or config value failed validation. Handled by: the caller fixing its input (400). */
export class InvalidInputError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('invalid-input', message, options);
  }
}

/** Cause: no or unknown credentials. Handled by: the client sending a token (401). */
export class UnauthenticatedError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('unauthenticated', message, options);
  }
}

/** Cause: credentials valid but not allowed. Handled by: an admin granting access (403). */
export class ForbiddenError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('forbidden', message, options);
  }
}

/** Cause: the named kernel, spec, session or file does not exist (404). */
export class NotFoundError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('not-found', message, options);
  }
}

/** Cause: the request clashes with the current state, e.g. restarting a dead kernel (409). */
export class ConflictError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('conflict', message, options);
  }
}

/** Cause: a kernel limit (global or per user) is reached. Handled by: shutting kernels down (403). */
export class QuotaExceededError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('quota-exceeded', message, options);
  }
}

/**
 * Cause: the kernel process or container exited, or never answered, while starting.
 * Carries a bounded tail of the kernel's stderr in `details.stderrTail`. Handled by: the
 * caller (500), after the manager has removed everything the launch created.
 */
export class KernelLaunchError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('kernel-launch-failed', message, options);
  }
}

/** Cause: the kernel did not answer kernel_info within the startup timeout (504). */
export class LaunchTimeoutError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('launch-timeout', message, options);
  }
}

/** Cause: a running kernel exited. Handled by: the restarter, or the client starting a new one (410). */
export class KernelDiedError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('kernel-died', message, options);
  }
}

/** Cause: Docker, Kubernetes or the OS refused or is unreachable (503). */
export class BackendUnavailableError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('backend-unavailable', message, options);
  }
}

/**
 * Cause: the request needs a feature this Berth does not have yet (e.g. a backend that arrives
 * with a later release). Handled by: using what exists, or upgrading (501).
 */
export class NotImplementedError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('not-implemented', message, options);
  }
}

/** Render any thrown value as a one-line reason, for logs and wrapped errors. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
