// Exec config quotas as arithmetic: kernels, CPU and memory limits added up over the running
// kernels of one exec config, overall and per user, and the 429 message each viewer gets.
import { execConfigSchema, type ExecConfig } from '../../../gateway/src/execution/execution-config';
import { describeQuotaProblem, quotaProblem, useOf, type KernelUse } from '../../../gateway/src/kernels/exec-config-quotas';

const GIB = 1024 ** 3;

function config(quotas: Record<string, unknown>, resources: Record<string, unknown> = { cpus: 2, memory: '4g' }): ExecConfig {
  return execConfigSchema.parse({ id: 'docker-q', backend: 'docker', baseImage: 'berth/base:latest', resources, quotas });
}

const running = (execConfig: ExecConfig, ...owners: string[]): KernelUse[] => owners.map((owner) => useOf(execConfig, owner));

test('a kernel fits while every limit holds, counting only the same exec config', () => {
  const q = config({ maxKernels: 3, cpus: 6, memory: '12g' });
  const other = config({}, { cpus: 8, memory: '32g' });
  const elsewhere = running({ ...other, id: 'other' } as ExecConfig, 'alice', 'alice', 'bob');
  expect(quotaProblem(q, 'alice', [...elsewhere, ...running(q, 'alice', 'bob')])).toBeUndefined();
  expect(quotaProblem(q, 'carol', running(q, 'alice', 'bob', 'bob'))).toEqual({
    scope: 'exec config',
    limit: 'maxKernels',
    max: 3,
    used: 3,
    requested: 1,
    holders: [
      { owner: 'bob', kernels: 2, cpus: 4, memory: 8 * GIB },
      { owner: 'alice', kernels: 1, cpus: 2, memory: 4 * GIB },
    ],
  });
});

test('CPU and memory quotas add up the limits, fractions included; per-user limits count only that user', () => {
  const cpus = config({ cpus: 1.5 }, { cpus: 0.5 });
  expect(quotaProblem(cpus, 'a', running(cpus, 'a', 'b'))).toBeUndefined();
  expect(quotaProblem(cpus, 'a', running(cpus, 'a', 'b', 'c'))).toMatchObject({ limit: 'cpus', max: 1.5, used: 1.5, requested: 0.5 });
  const memory = config({ perUser: { memory: '8g' } });
  expect(quotaProblem(memory, 'alice', running(memory, 'alice'))).toBeUndefined();
  expect(quotaProblem(memory, 'alice', running(memory, 'alice', 'alice'))).toMatchObject({ scope: 'user', limit: 'memory', used: 8 * GIB });
  expect(quotaProblem(memory, 'bob', running(memory, 'alice', 'alice'))).toBeUndefined();
});

test('the message says the limit, the use and who holds it: admins see names, users only their own', () => {
  const q = config({ memory: '8g' });
  const problem = quotaProblem(q, 'carol', running(q, 'alice', 'bob'))!;
  expect(describeQuotaProblem(problem, 'docker-q', { name: 'root', admin: true })).toBe(
    'Exec config "docker-q" allows at most 8 GiB for all its kernels together; 8 GiB are in use (alice: 1 kernel, 4 GiB; bob: 1 kernel, 4 GiB) and this kernel needs 4 GiB. Shut down a kernel you no longer need, try again later, or ask an admin to raise quotas.',
  );
  expect(describeQuotaProblem(problem, 'docker-q', { name: 'alice', admin: false })).toBe(
    'Exec config "docker-q" allows at most 8 GiB for all its kernels together; 8 GiB are in use (alice (you): 1 kernel, 4 GiB; other users: 1 kernel, 4 GiB) and this kernel needs 4 GiB. Shut down a kernel you no longer need, try again later, or ask an admin to raise quotas.',
  );
  const perUser = config({ perUser: { maxKernels: 1 } });
  expect(describeQuotaProblem(quotaProblem(perUser, 'dana', running(perUser, 'dana'))!, 'docker-q', { name: 'dana', admin: false })).toBe(
    'Exec config "docker-q" allows at most 1 kernel per user (you, dana); 1 kernel is running (dana (you): 1 kernel). Shut down a kernel you no longer need, try again later, or ask an admin to raise quotas.perUser.',
  );
});
