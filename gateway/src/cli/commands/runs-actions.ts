import type { RunRecord } from '../../runner/run';
import type { RunLogEntry } from '../../runner/run-log';
import { GatewayClient, gatewayTarget } from '../run/gateway-client';
import type { RunsFlags } from './runs';

function duration(record: RunRecord): string {
  if (!record.startedAt) return '-';
  const end = record.endedAt ? Date.parse(record.endedAt) : Date.now();
  return `${((end - Date.parse(record.startedAt)) / 1000).toFixed(1)} s`;
}

export async function listRuns(
  flags: RunsFlags & { status?: string; user?: string; execConfig?: string; kind?: string; limit?: string },
): Promise<void> {
  const runs = await new GatewayClient(gatewayTarget(flags)).list({
    status: flags.status,
    user: flags.user,
    execConfig: flags.execConfig,
    kind: flags.kind,
    limit: flags.limit,
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
    return;
  }
  const rows = runs.map((run) => [run.id, run.status, run.kind, run.name, run.execConfig, run.owner, run.createdAt, duration(run)]);
  const header = ['ID', 'STATUS', 'KIND', 'NAME', 'EXEC CONFIG', 'OWNER', 'CREATED', 'DURATION'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows])
    process.stdout.write(
      `${row
        .map((value, column) => value.padEnd(widths[column]!))
        .join('  ')
        .trimEnd()}\n`,
    );
}

export async function showRun(id: string, flags: RunsFlags): Promise<void> {
  const client = new GatewayClient(gatewayTarget(flags));
  const record = await client.get(id);
  const artifacts = await client.artifacts(id);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...record, artifacts }, null, 2)}\n`);
    return;
  }
  const lines = [
    `run ${record.id} (${record.kind}: ${record.name})`,
    `status: ${record.status}`,
    `owner: ${record.owner}`,
    `kernel: ${record.kernelName} on exec config ${record.execConfig}${record.codeEnv ? `, code env ${record.codeEnv}` : ''}`,
    `created: ${record.createdAt}; started: ${record.startedAt ?? '-'}; ended: ${record.endedAt ?? '-'} (${duration(record)})`,
    ...(Object.keys(record.parameters).length ? [`parameters: ${JSON.stringify(record.parameters)}`] : []),
    ...(record.failure ? [`failure: ${record.failure.message}`] : []),
    ...(record.failure?.cellIndex !== undefined
      ? [`failing cell: ${record.failure.cellIndex} (${record.failure.ename}: ${record.failure.evalue})`]
      : []),
    `artifacts: ${artifacts.length ? artifacts.map((artifact) => `${artifact.path} (${artifact.bytes} B)`).join(', ') : 'none'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printEntry(entry: RunLogEntry): void {
  if (entry.type === 'output')
    (entry.stream === 'stderr' ? process.stderr : process.stdout).write(entry.stream === 'system' ? `[berth] ${entry.text}` : entry.text);
  else if (entry.type === 'status') process.stderr.write(`[berth] ${entry.status}${entry.message ? `: ${entry.message}` : ''}\n`);
}

export async function runLogs(id: string, flags: RunsFlags & { follow?: boolean }): Promise<void> {
  const client = new GatewayClient(gatewayTarget(flags));
  if (flags.follow) await client.follow(id, printEntry);
  else for (const entry of await client.logHistory(id)) printEntry(entry);
}

export async function cancelRun(id: string, flags: RunsFlags): Promise<void> {
  const record = await new GatewayClient(gatewayTarget(flags)).cancel(id);
  process.stdout.write(`run ${record.id}: ${record.status === 'cancelled' ? 'cancelled' : 'cancelling'}\n`);
}
