// Status objects, the body of every error the API server returns, and the field errors of 422 Invalid,
// with the real reasons, codes and message formats (k8s.io/apimachinery/pkg/api/errors and
// pkg/util/validation/field).

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An error the API answers with: its Status body and HTTP code. */
export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
    this.name = 'ApiError';
  }
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): ApiError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details !== undefined) status.details = details;
  return new ApiError(status);
}

export function successStatus(details: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

export const errors = {
  notFound: (resource: string, name: string) => failure(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource }),
  alreadyExists: (resource: string, name: string) =>
    failure(409, 'AlreadyExists', `${resource} "${name}" already exists`, { name, kind: resource }),
  conflict: (resource: string, name: string, message: string) =>
    failure(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": ${message}`, { name, kind: resource }),
  forbidden: (resource: string, name: string, message: string) =>
    failure(403, 'Forbidden', `${resource} "${name}" is forbidden: ${message}`, { name, kind: resource }),
  badRequest: (message: string) => failure(400, 'BadRequest', message),
  unsupportedMediaType: (type: string) =>
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json (the emulator's only patch type; got ${type})`,
    ),
  unauthorized: () => failure(401, 'Unauthorized', 'Unauthorized'),
  methodNotAllowed: () => failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}),
  pathNotFound: () => failure(404, 'NotFound', 'the server could not find the requested resource', {}),
  expired: (message: string) => failure(410, 'Expired', message),
  invalid: (kind: string, name: string, fieldErrors: FieldError[]) => {
    const texts = fieldErrors.map((e) => e.text());
    const list = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
    return failure(422, 'Invalid', `${kind} "${name}" is invalid: ${list}`, {
      name,
      kind,
      causes: fieldErrors.map((e) => ({ reason: e.reason, message: e.body(), field: e.field })),
    });
  },
  /** A request body that does not decode into the kind (bad quantity, bad base64, wrong JSON type). */
  undecodable: (kind: string, detail: string) =>
    failure(400, 'BadRequest', `${kind} in version "v1" cannot be handled as a ${kind}: ${detail}`),
};

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** One field error, printed like field.Error: `<field>: <type>: <value>: <detail>`. */
export class FieldError {
  private constructor(
    readonly reason: string,
    readonly field: string,
    private readonly typeText: string,
    private readonly value: unknown,
    private readonly detail: string,
    private readonly showValue: boolean,
  ) {}

  static required(field: string, detail = ''): FieldError {
    return new FieldError('FieldValueRequired', field, 'Required value', undefined, detail, false);
  }
  static invalid(field: string, value: unknown, detail: string): FieldError {
    return new FieldError('FieldValueInvalid', field, 'Invalid value', value, detail, true);
  }
  static notSupported(field: string, value: unknown, supported: string[]): FieldError {
    const list = supported.map((s) => JSON.stringify(s)).join(', ');
    return new FieldError('FieldValueNotSupported', field, 'Unsupported value', value, `supported values: ${list}`, true);
  }
  static duplicate(field: string, value: unknown): FieldError {
    return new FieldError('FieldValueDuplicate', field, 'Duplicate value', value, '', true);
  }
  static notFound(field: string, value: unknown): FieldError {
    return new FieldError('FieldValueNotFound', field, 'Not found', value, '', true);
  }
  static forbidden(field: string, detail: string): FieldError {
    return new FieldError('FieldValueForbidden', field, 'Forbidden', undefined, detail, false);
  }
  /** What the emulator accepts from the real API but cannot run: refused rather than silently ignored. */
  static unsupportedByEmulator(field: string): FieldError {
    return FieldError.forbidden(field, 'not supported by the kube emulator');
  }

  body(): string {
    const parts = [this.typeText];
    if (this.showValue) parts.push(show(this.value));
    if (this.detail !== '') parts.push(this.detail);
    return parts.join(': ');
  }

  text(): string {
    return `${this.field}: ${this.body()}`;
  }
}
