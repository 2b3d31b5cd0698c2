/**
 * The extension's settings for Berth's own API (runs, kernel events): the gateway URL and a
 * token. The picker and the status bar's basics need neither (they read kernelspecs through
 * the Jupyter server); the runs panel does.
 */

export interface ConnectionSettings {
  /** Berth's base URL as the browser reaches it, e.g. http://127.0.0.1:8888/ (with --base-url included). */
  readonly gatewayUrl: string;
  readonly token: string;
  /** How often the runs panel refreshes the list while it is shown. */
  readonly refreshSeconds: number;
}

export const DEFAULT_SETTINGS: ConnectionSettings = { gatewayUrl: '', token: '', refreshSeconds: 5 };

export type Connection =
  { readonly ok: true; readonly baseUrl: string; readonly token: string } | { readonly ok: false; readonly problem: string };

/** Settings from the registry's composite (unknown shape) to typed values with defaults. */
export function readSettings(composite: Readonly<Record<string, unknown>> | undefined): ConnectionSettings {
  const gatewayUrl = composite?.['gatewayUrl'];
  const token = composite?.['token'];
  const refresh = composite?.['refreshSeconds'];
  return {
    gatewayUrl: typeof gatewayUrl === 'string' ? gatewayUrl.trim() : DEFAULT_SETTINGS.gatewayUrl,
    token: typeof token === 'string' ? token.trim() : DEFAULT_SETTINGS.token,
    refreshSeconds: typeof refresh === 'number' && refresh >= 1 ? refresh : DEFAULT_SETTINGS.refreshSeconds,
  };
}

/** The base URL (always ending in "/") and token, or why they cannot be used. */
export function connectionFrom(settings: ConnectionSettings): Connection {
  if (settings.gatewayUrl === '') return { ok: false, problem: 'The Berth gateway URL is not set.' };
  let url: URL;
  try {
    url = new URL(settings.gatewayUrl);
  } catch {
    return { ok: false, problem: `"${settings.gatewayUrl}" is not a URL; write it like http://127.0.0.1:8888/.` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, problem: `The Berth gateway URL must start with http:// or https:// (got ${url.protocol}).` };
  }
  url.search = '';
  url.hash = '';
  const baseUrl = url.href.endsWith('/') ? url.href : `${url.href}/`;
  return { ok: true, baseUrl, token: settings.token };
}

/** What to do, step by step, for the panel to work; `origin` is this JupyterLab's (window.location.origin). */
export function configurationSteps(origin: string): string[] {
  return [
    'Open Settings → Settings Editor → Berth, and set "Gateway URL" to the address of the Berth gateway as this browser reaches it (for example http://127.0.0.1:8888/).',
    'Set "Token" to your Berth token (the one Berth was started with, or your own user token).',
    `Start Berth so that it lets this page call it: berth serve --allow-origin ${origin} (or BERTH_ALLOW_ORIGIN=${origin}).`,
  ];
}
