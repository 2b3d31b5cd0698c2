// The provisioner contract (test/support/provisioner-contract.ts) on the local backend: kernels as
// processes of the gateway's machine. What it leaves behind: kernel processes (found by PID, by
// their connection file in the gateway's data dir) and files in its runtime folder.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelProcesses, killKernelProcesses } from '../../support/kernel-processes';
import { HANG_OUTPUT, HANG_SITECUSTOMIZE, provisionerContract, type ContractGateway } from '../../support/provisioner-contract';

const PYTHON = '/usr/bin/python3';
let specsDir: string | undefined;

function writeSpec(name: string, spec: Record<string, unknown>): void {
  mkdirSync(join(specsDir!, name), { recursive: true });
  writeFileSync(join(specsDir!, name, 'kernel.json'), JSON.stringify({ display_name: name, language: 'python', ...spec }));
}

provisionerContract({
  name: 'local',
  kernels: {
    working: 'python3',
    language: 'python',
    // A kernelspec of a kernel that is not installed.
    failing: { name: 'berth-contract-missing', exitCode: 1, output: 'No module named berth_contract_missing' },
    hanging: { name: 'berth-contract-hang', output: HANG_OUTPUT },
  },
  launchTimeoutSeconds: 5,
  testTimeoutMs: 60_000,
  async setUp() {
    specsDir = mkdtempSync(join(tmpdir(), 'berth-contract-local-'));
    writeSpec('berth-contract-missing', { argv: [PYTHON, '-m', 'berth_contract_missing', '-f', '{connection_file}'] });
    // ipykernel itself, started by an interpreter that first imports a sitecustomize module that hangs.
    mkdirSync(join(specsDir, 'hang-path'));
    writeFileSync(join(specsDir, 'hang-path', 'sitecustomize.py'), HANG_SITECUSTOMIZE);
    writeSpec('berth-contract-hang', {
      argv: [PYTHON, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      env: { PYTHONPATH: join(specsDir, 'hang-path') },
    });
    return { kernelspecDirs: [specsDir] };
  },
  async footprint(gateway: ContractGateway) {
    const processes = kernelProcesses(gateway.dataDir).map((p) => {
      const kernelId = p.args.map((arg) => /kernel-([0-9a-f-]+)\.json$/.exec(arg)?.[1]).find((id) => id !== undefined);
      return `process ${p.pid} of kernel ${kernelId}`;
    });
    const files = readdirSync(join(gateway.dataDir, 'runtime')).map((file) => `runtime file ${file}`);
    return [...processes, ...files].sort();
  },
  async tearDown(gateway: ContractGateway | undefined) {
    if (gateway !== undefined) killKernelProcesses(gateway.dataDir);
    if (specsDir !== undefined) rmSync(specsDir, { recursive: true, force: true });
  },
});
