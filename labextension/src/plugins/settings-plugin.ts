import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Signal } from '@lumino/signaling';
import { BerthClient } from '../api/berth-client';
import { connectionFrom, DEFAULT_SETTINGS, readSettings, type Connection, type ConnectionSettings } from '../model/connection-settings';
import { StartFailures } from '../notebook/start-failures';
import { CommandIDs, IBerth, PALETTE_CATEGORY } from '../tokens';

export const SETTINGS_PLUGIN_ID = 'berth-labextension:settings';

/** IBerth: the settings (schema/settings.json), the client they make, and shared start failures. */
class Berth implements IBerth {
  settings: ConnectionSettings = DEFAULT_SETTINGS;
  connection: Connection = connectionFrom(DEFAULT_SETTINGS);
  client: BerthClient | null = null;
  readonly connectionChanged: Signal<IBerth, void> = new Signal<IBerth, void>(this);
  readonly failures = new StartFailures();

  apply(settings: ConnectionSettings): void {
    this.settings = settings;
    const connection = connectionFrom(settings);
    // Only a new URL or token makes a new client: the runs panel and the events feed start over.
    if (JSON.stringify(connection) === JSON.stringify(this.connection) && (this.client !== null) === connection.ok) return;
    this.connection = connection;
    this.client = this.connection.ok
      ? new BerthClient({ baseUrl: this.connection.baseUrl, token: this.connection.token, origin: window.location.origin })
      : null;
    this.connectionChanged.emit();
  }
}

export const settingsPlugin: JupyterFrontEndPlugin<IBerth> = {
  id: SETTINGS_PLUGIN_ID,
  description: "Berth's gateway URL and token for its runs and kernel events API.",
  autoStart: true,
  provides: IBerth,
  optional: [ISettingRegistry, ICommandPalette],
  activate: async (app: JupyterFrontEnd, registry: ISettingRegistry | null, palette: ICommandPalette | null): Promise<IBerth> => {
    const berth = new Berth();
    app.commands.addCommand(CommandIDs.openSettings, {
      label: 'Open Berth Settings',
      caption: 'Set the Berth gateway URL and token',
      isEnabled: () => app.commands.hasCommand('settingeditor:open'),
      execute: () => app.commands.execute('settingeditor:open', { query: 'Berth' }),
    });
    palette?.addItem({ command: CommandIDs.openSettings, category: PALETTE_CATEGORY });
    if (registry) {
      try {
        const settings = await registry.load(SETTINGS_PLUGIN_ID);
        const read = (): void => berth.apply(readSettings(settings.composite as Record<string, unknown>));
        settings.changed.connect(read);
        read();
      } catch (error) {
        // Without settings the picker and status bar still work; the runs panel says what is missing.
        console.warn('Berth: could not load settings', error);
      }
    }
    return berth;
  },
};
