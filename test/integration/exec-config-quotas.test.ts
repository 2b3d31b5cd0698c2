// Exec config quotas on a real gateway: per user and overall, for kernels and memory, refused with
// 429 saying what is in use and by whom (names only for admins), one user's quota independent of
// another's, and a bounded queue that lets a waiting start through when room frees. Quotas are the
// gateway's own accounting, so local exec configs (real kernels, no containers) test them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';

jest.setTimeout(120_000);

const TOKENS = {
  alice: 'quota-alice-token-0001',
  bob: 'quota-bob-token-00002',
  carol: 'quota-carol-token-0003',
  root: 'quota-root-token-00004',
};
type User = keyof typeof TOKENS;
let configDir: string;
let gw: TestGateway;

interface ErrorBody {
  message: string;
  code: string;
  details: { limit: string; scope: string; inUse: { owner: string }[] };
}

function start(user: User, execConfig: string): Promise<Response> {
  return fetch(`${gw.url}api/kernels`, {
    method: 'POST',
    headers: { Authorization: `token ${TOKENS[user]}` },
    body: JSON.stringify({ name: 'python3', env: { KERNEL_EXECUTION_CONFIG: execConfig } }),
  });
}

async function started(user: User, execConfig: string): Promise<string> {
  const response = await start(user, execConfig);
  const body = (await response.json()) as { id: string; message?: string };
  if (response.status !== 201) throw new Error(`${user} on ${execConfig}: ${response.status} ${body.message}`);
  return body.id;
}

async function shutdown(user: User, id: string): Promise<void> {
  const response = await fetch(`${gw.url}api/kernels/${id}`, { method: 'DELETE', headers: { Authorization: `token ${TOKENS[user]}` } });
  expect(response.status).toBe(204);
}

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'berth-quotas-'));
  mkdirSync(join(configDir, 'execution-configs'));
  const local = 'backend: local\n';
  writeFileSync(join(configDir, 'execution-configs', 'shared.yaml'), `${local}quotas:\n  maxKernels: 2\n  perUser:\n    maxKernels: 1\n`);
  writeFileSync(
    join(configDir, 'execution-configs', 'memory.yaml'),
    `${local}resources:\n  memory: 1g\nquotas:\n  perUser:\n    memory: 2g\n`,
  );
  writeFileSync(
    join(configDir, 'execution-configs', 'queued.yaml'),
    `${local}quotas:\n  maxKernels: 1\n  queue:\n    maxWaiting: 1\n    timeoutSeconds: 60\n`,
  );
  gw = await startTestGateway({
    configDir,
    auth: {
      users: [
        { name: 'alice', token: TOKENS.alice },
        { name: 'bob', token: TOKENS.bob },
        { name: 'carol', token: TOKENS.carol },
        { name: 'root', token: TOKENS.root, admin: true },
      ],
    },
  } as never);
});

afterAll(async () => {
  await gw?.stop();
  rmSync(configDir, { recursive: true, force: true });
});

test('per-user and overall kernel quotas: 429 naming the limit and who holds it, names only for admins', async () => {
  const alices = await started('alice', 'shared');
  const own = await start('alice', 'shared');
  expect(own.status).toBe(429);
  const ownBody = (await own.json()) as ErrorBody;
  expect(ownBody.code).toBe('quota-exceeded');
  expect(ownBody.message).toContain('allows at most 1 kernel per user (you, alice); 1 kernel is running (alice (you): 1 kernel)');

  const bobs = await started('bob', 'shared'); // bob's own quota is independent of alice's
  const carol = (await (await start('carol', 'shared')).json()) as ErrorBody;
  expect(carol.message).toContain('allows at most 2 kernels for all its kernels together; 2 kernels are running (other users: 2 kernels)');
  expect(carol.details).toMatchObject({ scope: 'exec config', limit: 'maxKernels', inUse: [] });
  const root = (await (await start('root', 'shared')).json()) as ErrorBody;
  expect(root.message).toContain('(alice: 1 kernel; bob: 1 kernel)');

  await shutdown('alice', alices);
  await shutdown('bob', bobs);
});

test('a memory quota adds up the kernels limits per user', async () => {
  const ids = [await started('alice', 'memory'), await started('alice', 'memory')];
  const third = await start('alice', 'memory');
  expect(third.status).toBe(429);
  expect(((await third.json()) as ErrorBody).message).toContain(
    'allows at most 2 GiB per user (you, alice); 2 GiB are in use (alice (you): 2 kernels, 2 GiB) and this kernel needs 1 GiB',
  );
  const bobs = await started('bob', 'memory');
  for (const id of ids) await shutdown('alice', id);
  await shutdown('bob', bobs);
});

test('with a queue, a start waits for room and goes through when a kernel shuts down; the queue is bounded', async () => {
  const first = await started('alice', 'queued');
  const waiting = start('bob', 'queued');
  // Once the waiting start is in the queue (the exec config's status says so), the queue (1 place) is full.
  for (let waiters = 0; waiters === 0;) {
    const status = (await (
      await fetch(`${gw.url}api/berth/execution-configs/queued`, { headers: { Authorization: `token ${TOKENS.root}` } })
    ).json()) as {
      status: { waitingStarts: number };
    };
    waiters = status.status.waitingStarts;
  }
  const full = await start('carol', 'queued');
  expect(full.status).toBe(429);
  expect(((await full.json()) as ErrorBody).message).toContain('1 start already wait for room, the most this exec config allows');

  await shutdown('alice', first);
  const admitted = await waiting;
  expect(admitted.status).toBe(201);
  await shutdown('bob', ((await admitted.json()) as { id: string }).id);
});
