import WebSocket from 'ws';

/** Attempts a WebSocket upgrade and resolves with the HTTP status it was refused with (101 if it opened). */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.close();
    });
    ws.once('error', (error) => {
      // Raised after unexpected-response by terminate(); a real connection error rejects.
      if (!String(error.message).includes('closed before the connection was established')) reject(error);
    });
  });
}
