import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/**
 * Which browser origins may call the gateway. Requests without an Origin (non-browser
 * clients) and same-origin requests always pass; others need --allow-origin.
 */
export class OriginPolicy {
  constructor(private readonly allowOrigin: string | undefined) {}

  allows(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (!origin) return true;
    if (this.allowOrigin === '*' || this.allowOrigin === origin) return true;
    try {
      return new URL(origin).host === request.headers.host;
    } catch {
      return false;
    }
  }

  /** CORS headers for allowed cross-origin callers, and preflight answers. */
  readonly middleware = (request: Request, response: Response, next: NextFunction): void => {
    const origin = request.headers.origin;
    if (origin && this.allowOrigin && this.allows(request)) {
      response.setHeader('Access-Control-Allow-Origin', this.allowOrigin === '*' ? '*' : origin);
      response.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-XSRFToken');
      response.setHeader('Access-Control-Allow-Methods', 'GET, POST, PATCH, PUT, DELETE, OPTIONS');
      // Browsers may keep a preflight's answer this long (Chromium caps it at 2 hours): a page that polls does not ask before every request.
      response.setHeader('Access-Control-Max-Age', '600');
      response.setHeader('Vary', 'Origin');
    }
    if (request.method === 'OPTIONS') {
      response.status(204).end();
      return;
    }
    next();
  };
}
