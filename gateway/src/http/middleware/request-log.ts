import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../common/logger';

/** Logs each request at debug (errors at warn) without query strings, which may carry tokens. */
export function requestLog(log: Logger) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = { method: request.method, path: request.path, status: response.statusCode, ms: Math.round(ms * 10) / 10 };
      if (response.statusCode >= 400) log.warn(line, 'request');
      else log.debug(line, 'request');
    });
    next();
  };
}
