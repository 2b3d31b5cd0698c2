import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import type { BerthClient } from './api/berth-client';
import type { Connection, ConnectionSettings } from './model/connection-settings';
import type { StartFailures } from './notebook/start-failures';

/**
 * What the extension's plugins share: the settings for Berth's own API and a client made from
 * them (null until the gateway URL is set), and the failed kernel switches the status bar shows.
 */
export interface IBerth {
  readonly settings: ConnectionSettings;
  readonly connection: Connection;
  /** A client for Berth's API, or null when the settings do not allow one (connection says why). */
  readonly client: BerthClient | null;
  /** Emitted when the settings change (and with them the client). */
  readonly connectionChanged: ISignal<IBerth, void>;
  readonly failures: StartFailures;
}

export const IBerth = new Token<IBerth>('berth-labextension:IBerth', 'Berth settings, API client and kernel start failures.');

// JupyterLab's convention for command ids (as its own extensions write them).
// eslint-disable-next-line @typescript-eslint/no-namespace
export namespace CommandIDs {
  export const selectExecution = 'berth:select-execution';
  export const runNotebook = 'berth:run-notebook';
  export const showRuns = 'berth:show-runs';
  export const refreshRuns = 'berth:refresh-runs';
  export const openSettings = 'berth:open-settings';
}

/** The palette category of every Berth command. */
export const PALETTE_CATEGORY = 'Berth';
