import { Command, Option } from 'commander';
import { describeError } from '../../common/errors';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** `berth serve`: the Jupyter kernel API on HTTP and WebSocket. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('Serve the Jupyter Server kernel API (kernelspecs, kernels, sessions, channels) with local kernels')
    .addOption(new Option('--ip <address>', 'address to listen on (default 127.0.0.1; env BERTH_IP)'))
    .addOption(new Option('--port <number>', 'port to listen on, 0 for any (default 8888; env BERTH_PORT)').argParser(parsePort))
    .addOption(new Option('--token <token>', 'token clients must send (env BERTH_TOKEN, preferred: flags show in ps)'))
    .addOption(
      new Option('--data-dir <path>', 'database, connection files and kernel logs (default ~/.local/share/berth; env BERTH_DATA_DIR)'),
    )
    .addOption(new Option('--config <file>', 'YAML or JSON config file (env BERTH_CONFIG)'))
    .addOption(
      new Option(
        '--config-dir <dir>',
        'configuration directory: berth.yaml, execution-configs/, code-envs/; validated at start (env BERTH_CONFIG_DIR)',
      ),
    )
    .addOption(new Option('--base-url <path>', 'URL prefix of every endpoint (default /; env BERTH_BASE_URL)'))
    .addOption(new Option('--allow-origin <origin>', 'browser origin allowed for CORS and WebSockets, or * (env BERTH_ALLOW_ORIGIN)'))
    .addOption(new Option('--default-kernel-name <name>', 'kernelspec used when a request names none (default python3)'))
    .addOption(new Option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)'))
    .addOption(new Option('--keep-kernels-on-stop', 'leave kernels running on SIGTERM/SIGINT, to reattach at next start'))
    .action(async (flags: Record<string, unknown>) => {
      // Loaded on use, as is the gateway below: `berth --help` and the other commands start fast.
      const { loadConfig } = await import('../../config/load');
      const config = loadConfig({
        file: flags['config'] as string | undefined,
        flags: {
          ip: flags['ip'],
          port: flags['port'],
          token: flags['token'],
          dataDir: flags['dataDir'],
          configDir: flags['configDir'],
          baseUrl: flags['baseUrl'],
          allowOrigin: flags['allowOrigin'],
          defaultKernelName: flags['defaultKernelName'],
          logLevel: flags['logLevel'],
          ...(flags['keepKernelsOnStop'] ? { kernels: { keepKernelsOnStop: true } } : {}),
        },
      });
      const authenticated = Boolean(config.token) || config.auth.users.length > 0 || config.auth.proxy !== undefined;
      if (!authenticated && !LOOPBACK.has(config.ip)) {
        throw new Error(
          `Refusing to serve on ${config.ip} without a token: anyone who can reach it could run code. Set BERTH_TOKEN or --token (or auth.users in the config file), or listen on 127.0.0.1.`,
        );
      }
      const { createGateway } = await import('../../app');
      const gateway = createGateway(config);
      const { url } = await gateway.start();
      process.stdout.write(`Berth gateway at ${url}${authenticated ? ' (token required)' : ' (no token: loopback only)'}\n`);
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        gateway.services.log.info({ signal }, 'stopping');
        gateway.stop().then(
          () => process.exit(0),
          (error) => {
            process.stderr.write(`berth: stop failed: ${describeError(error)}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535; got "${value}"`);
  return port;
}
