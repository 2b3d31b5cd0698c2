import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that may hold secrets anywhere in a log object. pino replaces them with
 * "[redacted]" before serialisation, so tokens and HMAC keys never reach a log line.
 */
const REDACTED_PATHS = [
  'key',
  '*.key',
  'connection.key',
  '*.connection.key',
  'token',
  '*.token',
  'env',
  '*.env',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.query.token',
  'headers.authorization',
];

export interface LoggerOptions {
  readonly level?: string;
  /** Where lines go; stdout when omitted. Tests pass a stream to assert on lines. */
  readonly destination?: DestinationStream;
}

/** The gateway's root logger: JSON lines, secrets redacted. Children add `component`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { name: 'berth' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
