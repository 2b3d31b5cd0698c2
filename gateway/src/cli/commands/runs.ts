import { Command, Option } from 'commander';

export interface RunsFlags {
  gateway?: string;
  token?: string;
  json?: boolean;
}

const gatewayOptions = (command: Command): Command =>
  command
    .addOption(new Option('--gateway <url>', 'the gateway (env BERTH_GATEWAY_URL; default http://127.0.0.1:8888)'))
    .addOption(new Option('--token <token>', 'its token (env BERTH_TOKEN, preferred: flags show in ps)'));

const actions = () => import('./runs-actions');

/** `berth runs`: the batch runs of a running gateway. */
export function runsCommand(): Command {
  const command = new Command('runs').description("List, inspect, follow and cancel a gateway's batch runs");
  gatewayOptions(
    command
      .command('list')
      .description('Runs, newest first (yours; all for admins)')
      .addOption(
        new Option('--status <status>', 'only runs in this status').choices([
          'queued',
          'starting',
          'running',
          'succeeded',
          'failed',
          'cancelled',
          'timed-out',
        ]),
      )
      .addOption(new Option('--user <name>', 'only this user’s runs (admins)'))
      .addOption(new Option('--exec-config <id>', 'only runs on this exec config'))
      .addOption(new Option('--kind <kind>', 'only this kind').choices(['notebook', 'recipe', 'ml']))
      .addOption(new Option('--limit <n>', 'at most this many').default('50'))
      .addOption(new Option('--json', 'print JSON')),
  ).action(async (flags) => (await actions()).listRuns(flags));
  gatewayOptions(
    command
      .command('show')
      .description('One run: status, timings, failure, artifacts')
      .argument('<id>')
      .addOption(new Option('--json', 'print JSON')),
  ).action(async (id: string, flags: RunsFlags) => (await actions()).showRun(id, flags));
  gatewayOptions(
    command
      .command('logs')
      .description("A run's log; --follow streams it until the run ends")
      .argument('<id>')
      .addOption(new Option('-f, --follow', 'keep streaming until the run ends')),
  ).action(async (id: string, flags: RunsFlags & { follow?: boolean }) => (await actions()).runLogs(id, flags));
  gatewayOptions(command.command('cancel').description('Cancel a queued or running run').argument('<id>')).action(
    async (id: string, flags: RunsFlags) => (await actions()).cancelRun(id, flags),
  );
  return command;
}
