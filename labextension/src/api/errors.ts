/** Errors of the Berth API client, worded for the people who read them in the panel. */

/** Berth answered with an error status; `message` is Berth's own (it says what to do). */
export class BerthApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'BerthApiError';
  }
}

/**
 * The request never got an answer the page may read: Berth is down, the URL is wrong, or the
 * browser blocked the response because Berth does not allow this page's origin (CORS). Browsers
 * do not tell these apart, so the message names all three.
 */
export class BerthUnreachableError extends Error {
  constructor(
    readonly baseUrl: string,
    readonly origin: string | undefined,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const allow = origin ? ` and that it allows this page's origin (berth serve --allow-origin ${origin})` : '';
    super(`Cannot reach Berth at ${baseUrl} (${detail}). Check the gateway URL in the settings, that Berth runs${allow}.`);
    this.name = 'BerthUnreachableError';
  }
}

/** Berth's error body `{message, code}` when there is one, else the status line. */
export async function errorFromResponse(response: Response): Promise<BerthApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { message?: unknown; code?: unknown };
    if (typeof body.message === 'string' && body.message !== '') {
      return new BerthApiError(body.message, response.status, typeof body.code === 'string' ? body.code : undefined);
    }
  } catch {
    // not JSON: fall through to the status line
  }
  const hint = response.status === 401 ? ' Check the token in the Berth settings.' : '';
  return new BerthApiError(
    `Berth answered ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ''}.${hint}`,
    response.status,
  );
}
