import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';

// The config directory at serve time, the admin API over exec configs and code envs, and the
// kernelspecs per code env × exec config, on a real gateway with the example directory:
// local (group admins), docker-small (everyone), docker-large (data-science);
// pandas (all container exec configs), r-tables (docker-large only).

jest.setTimeout(120_000);

const EXAMPLE = resolve(__dirname, '..', '..', 'gateway', 'examples', 'config');
const NEVER_BUILT = 'berth-test/never-built-base:latest';
const TOKENS = {
  alice: 'alice-secret-token-0001', // data-science and admins: every exec config
  bob: 'bob-secret-token-000002', // analysts: docker-small only; group default docker-small
  carol: 'carol-admin-token-0003', // admin
};
type User = keyof typeof TOKENS;

const AUTH = {
  users: [
    { name: 'alice', token: TOKENS.alice, groups: ['data-science', 'admins'] },
    { name: 'bob', token: TOKENS.bob, groups: ['analysts'] },
    { name: 'carol', token: TOKENS.carol, admin: true },
  ],
};

let configDir: string;
let dataDir: string;
let gw: TestGateway;

function start(): Promise<TestGateway> {
  return startTestGateway({ configDir, dataDir, auth: AUTH, groupDefaults: { analysts: 'docker-small' } });
}

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'berth-configdir-'));
  cpSync(EXAMPLE, configDir, { recursive: true });
  // A base image no machine has, so starting a Docker pair fails the same way everywhere: image missing.
  for (const file of ['docker-small.yaml', 'docker-large.yaml']) {
    const path = join(configDir, 'execution-configs', file);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^baseImage: .*$/m, `baseImage: ${NEVER_BUILT}`));
  }
  dataDir = mkdtempSync(join(tmpdir(), 'berth-data-'));
  gw = await start();
});

afterAll(async () => {
  await gw?.stop();
  rmSync(configDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

function as(user: User, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${gw.url}${path}`, { ...init, headers: { Authorization: `token ${TOKENS[user]}` } });
}

function send(user: User, method: string, path: string, body: unknown): Promise<Response> {
  return as(user, path, { method, body: JSON.stringify(body) });
}

// Response bodies are checked field by field below; typing each shape would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json<T = any>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

interface Problem {
  path: string;
  message: string;
}

describe('admin API: /api/berth/execution-configs and /api/berth/code-envs', () => {
  it('lists the directory objects for admins, with the full objects', async () => {
    const configs = await json(await as('carol', 'api/berth/execution-configs'), 200);
    expect(configs.map((c: { id: string }) => c.id)).toEqual(['docker-large', 'docker-small', 'local']);
    expect(configs[1]).toMatchObject({ id: 'docker-small', backend: 'docker', docker: { pidsLimit: 512 } });
    const codeEnvs = await json(await as('carol', 'api/berth/code-envs'), 200);
    expect(codeEnvs.map((c: { id: string }) => c.id)).toEqual(['pandas', 'r-tables']);
    expect(await json(await as('carol', 'api/berth/code-envs/pandas'), 200)).toMatchObject({ language: 'python' });
  });

  it('shows non-admins only the exec configs they may use, without backend internals', async () => {
    const configs = await json(await as('bob', 'api/berth/execution-configs'), 200);
    expect(configs).toEqual([
      {
        id: 'docker-small',
        displayName: 'Docker (1 CPU, 2 GB)',
        description: 'Everyday notebooks on the local Docker Engine',
        backend: 'docker',
        resources: { cpus: 1, memory: 2 * 1024 ** 3, gpus: 0 },
        timeouts: { cullIdleSeconds: 1800 },
      },
    ]);
    const forbidden = await json(await as('bob', 'api/berth/execution-configs/docker-large'), 403);
    expect(forbidden.message).toContain('data-science');
  });

  it('refuses writes and code envs to non-admins with 403 saying an admin is needed', async () => {
    for (const response of [
      await send('bob', 'POST', 'api/berth/execution-configs', { id: 'mine', backend: 'local' }),
      await send('bob', 'PUT', 'api/berth/execution-configs/docker-small', { backend: 'local' }),
      await as('bob', 'api/berth/execution-configs/docker-small', { method: 'DELETE' }),
      await as('bob', 'api/berth/code-envs'),
      await send('alice', 'POST', 'api/berth/code-envs', { id: 'x', language: 'python' }),
    ]) {
      const body = await json(response, 403);
      expect(body.code).toBe('forbidden');
      expect(body.message).toMatch(/is not an admin; this endpoint is for admins/);
    }
  });

  it('answers 400 with every field path for an invalid object', async () => {
    const body = await json(
      await send('carol', 'POST', 'api/berth/execution-configs', {
        id: 'Bad_Id',
        backend: 'docker',
        baseImage: 'berth/base-py:latest',
        resources: { memory: 'lots' },
        colour: 'blue',
      }),
      400,
    );
    expect(body.code).toBe('invalid-input');
    const paths = (body.details.problems as Problem[]).map((problem) => problem.path).sort();
    expect(paths).toEqual(['colour', 'id', 'resources.memory']);
    expect(body.message).toContain('resources.memory: "lots" is not a size');
  });

  it('applies the cross-object checks on create (400 naming the field)', async () => {
    const body = await json(
      await send('carol', 'POST', 'api/berth/code-envs', { id: 'ml', language: 'python', availableFor: ['docker-gpu'] }),
      400,
    );
    expect(body.details.problems).toEqual([
      expect.objectContaining({
        file: 'code-envs/ml',
        path: 'availableFor.0',
        message: expect.stringContaining('no exec config "docker-gpu"'),
      }),
    ]);
    const gpu = await json(
      await send('carol', 'POST', 'api/berth/execution-configs', {
        id: 'docker-gpu',
        backend: 'docker',
        baseImage: 'berth/base-py:latest',
        resources: { gpus: 1 },
      }),
      400,
    );
    expect(gpu.details.problems[0]).toMatchObject({ path: 'baseImage', message: expect.stringContaining('not a CUDA image') });
  });

  it('creates, updates and deletes, with 409 for an existing id and 404 for an unknown one', async () => {
    const medium = { id: 'docker-medium', backend: 'docker', baseImage: 'berth/base-py:latest', resources: { cpus: 4, memory: '8g' } };
    const created = await json(await send('carol', 'POST', 'api/berth/execution-configs', medium), 201);
    expect(created).toMatchObject({ id: 'docker-medium', resources: { cpus: 4, memory: 8 * 1024 ** 3 }, docker: { network: 'bridge' } });
    const again = await json(await send('carol', 'POST', 'api/berth/execution-configs', medium), 409);
    expect(again.message).toContain('already exists');
    await json(await send('carol', 'POST', 'api/berth/execution-configs', { id: 'local', backend: 'local' }), 409);

    // PUT replaces; the GET output is a valid PUT input.
    const updated = await json(
      await send('carol', 'PUT', 'api/berth/execution-configs/docker-medium', { ...created, displayName: 'Docker (4 CPUs)' }),
      200,
    );
    expect(updated.displayName).toBe('Docker (4 CPUs)');
    const renamed = await json(await send('carol', 'PUT', 'api/berth/execution-configs/docker-medium', { ...medium, id: 'other' }), 400);
    expect(renamed.details.problems).toEqual([expect.objectContaining({ path: 'id' })]);
    await json(await send('carol', 'PUT', 'api/berth/execution-configs/nope', medium), 404);
    await json(await as('carol', 'api/berth/execution-configs/nope'), 404);
    await json(await as('carol', 'api/berth/code-envs/nope'), 404);

    // A code env on it, then the exec config cannot go while the code env names it.
    await json(
      await send('carol', 'POST', 'api/berth/code-envs', { id: 'sklearn', language: 'python', availableFor: ['docker-medium'] }),
      201,
    );
    const inUse = await json(await as('carol', 'api/berth/execution-configs/docker-medium', { method: 'DELETE' }), 409);
    expect(inUse.message).toContain('"sklearn"');
    expect(inUse.details.codeEnvs).toEqual(['sklearn']);
    const specs = await json(await as('carol', 'api/kernelspecs'), 200);
    expect(Object.keys(specs.kernelspecs)).toContain('sklearn--docker-medium');

    const builtIn = await json(await as('carol', 'api/berth/execution-configs/local', { method: 'DELETE' }), 409);
    expect(builtIn.message).toContain('built in');
    const fromFile = await json(await as('carol', 'api/berth/execution-configs/docker-large', { method: 'DELETE' }), 409);
    expect(fromFile.message).toContain('"r-tables"');
    await json(await as('carol', 'api/berth/execution-configs/nope', { method: 'DELETE' }), 404);
  });

  it('keeps API objects across a restart on the same data dir; directory objects are reseeded from the files', async () => {
    const small = await json(await as('carol', 'api/berth/execution-configs/docker-small'), 200);
    await json(await send('carol', 'PUT', 'api/berth/execution-configs/docker-small', { ...small, displayName: 'Edited' }), 200);
    await gw.stop();
    gw = await start();
    const ids = (await json(await as('carol', 'api/berth/execution-configs'), 200)).map((c: { id: string }) => c.id);
    expect(ids).toEqual(['docker-large', 'docker-medium', 'docker-small', 'local']);
    expect((await json(await as('carol', 'api/berth/code-envs/sklearn'), 200)).availableFor).toEqual(['docker-medium']);
    expect((await json(await as('carol', 'api/berth/execution-configs/docker-small'), 200)).displayName).toBe('Docker (1 CPU, 2 GB)');

    // Deletion persists too.
    await json(await as('carol', 'api/berth/code-envs/sklearn', { method: 'DELETE' }), 204);
    await json(await as('carol', 'api/berth/execution-configs/docker-medium', { method: 'DELETE' }), 204);
    await gw.stop();
    gw = await start();
    await json(await as('carol', 'api/berth/execution-configs/docker-medium'), 404);
    await json(await as('carol', 'api/berth/code-envs/sklearn'), 404);
  });
});

describe('kernelspecs per code env × exec config', () => {
  it('lists the plain specs and every pair the caller may use', async () => {
    const alice = await json(await as('alice', 'api/kernelspecs'), 200);
    expect(Object.keys(alice.kernelspecs).sort()).toEqual([
      'ir',
      'pandas--docker-large',
      'pandas--docker-small',
      'python3',
      'r-tables--docker-large',
    ]);
    const pair = alice.kernelspecs['pandas--docker-small'];
    expect(pair.spec).toMatchObject({
      display_name: 'Python (pandas) · docker-small',
      language: 'python',
      argv: alice.kernelspecs['python3'].spec.argv,
      metadata: {
        berth: {
          codeEnv: 'pandas',
          executionConfig: 'docker-small',
          backend: 'docker',
          resources: { cpus: 1, memory: 2 * 1024 ** 3, gpus: 0 },
          image: 'berth/codeenv-pandas',
        },
      },
    });
    expect(alice.kernelspecs['r-tables--docker-large'].spec).toMatchObject({ display_name: 'R (r-tables) · docker-large', language: 'R' });
    const logo = await as('alice', pair.resources['logo-svg'].replace(/^\//, ''));
    expect(logo.status).toBe(200);

    const bob = await json(await as('bob', 'api/kernelspecs'), 200);
    expect(Object.keys(bob.kernelspecs).sort()).toEqual(['ir', 'pandas--docker-small', 'python3']);
  });

  it('answers 403 naming the groups needed for a pair the caller may not use', async () => {
    const spec = await json(await as('bob', 'api/kernelspecs/pandas--docker-large'), 403);
    expect(spec.message).toContain('members of the group data-science');
    expect(spec.details.groups).toEqual(['data-science']);
    const start = await json(await send('bob', 'POST', 'api/kernels', { name: 'r-tables--docker-large' }), 403);
    expect(start.message).toContain('data-science');
    await json(await as('bob', 'api/kernelspecs/pandas--nope'), 404);
  });

  it('starts a docker pair on its exec config; without its image, the error names the command that builds it', async () => {
    for (const [response, execConfig] of [
      [await send('bob', 'POST', 'api/kernels', { name: 'pandas--docker-small' }), 'docker-small'],
      [
        await send('alice', 'POST', 'api/sessions', { path: 'a.ipynb', type: 'notebook', kernel: { name: 'pandas--docker-large' } }),
        'docker-large',
      ],
    ] as const) {
      const body = await json(response, 404);
      expect(body.message).toContain(`berth images build-code-env pandas --exec-config ${execConfig}`);
      expect(body.message).toContain(`its base image ${NEVER_BUILT} is missing too`);
    }
    expect(await json(await as('alice', 'api/kernels'), 200)).toEqual([]);
  });

  it('selects the exec config of a plain spec: gateway default, group default, KERNEL_EXECUTION_CONFIG', async () => {
    // bob's group default is docker-small: a docker kernel on its base image (missing here).
    const byGroup = await json(await send('bob', 'POST', 'api/kernels', { name: 'python3' }), 404);
    expect(byGroup.details).toMatchObject({ executionConfig: 'docker-small', image: NEVER_BUILT });
    // local is for the admins group only.
    const local = await json(await send('bob', 'POST', 'api/kernels', { name: 'python3', env: { KERNEL_EXECUTION_CONFIG: 'local' } }), 403);
    expect(local.message).toContain('members of the group admins');
    const large = await json(
      await send('bob', 'POST', 'api/kernels', { name: 'python3', env: { KERNEL_EXECUTION_CONFIG: 'docker-large' } }),
      403,
    );
    expect(large.details.groups).toEqual(['data-science']);
    const unknown = await json(
      await send('alice', 'POST', 'api/kernels', { name: 'python3', env: { KERNEL_EXECUTION_CONFIG: 'nope' } }),
      400,
    );
    expect(unknown.message).toContain('No exec config "nope"');
    // alice: the gateway default (local) runs a real kernel; her request may pick docker-large instead.
    const requested = await json(
      await send('alice', 'POST', 'api/kernels', { name: 'python3', env: { KERNEL_EXECUTION_CONFIG: 'docker-large' } }),
      404,
    );
    expect(requested.details.executionConfig).toBe('docker-large');
    const kernel = await json(await send('alice', 'POST', 'api/kernels', { name: 'python3' }), 201);
    await json(await as('alice', `api/kernels/${kernel.id}`, { method: 'DELETE' }), 204);
  });
});

describe('config directory at start', () => {
  it('fails fast, listing every problem', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'berth-badconfig-'));
    cpSync(EXAMPLE, bad, { recursive: true });
    writeFileSync(join(bad, 'code-envs', 'broken.yaml'), 'language: cobol\navailableFor: [docker-nope]\n');
    writeFileSync(join(bad, 'execution-configs', 'docker-small.yaml'), 'backend: docker\nresources:\n  memory: lots\n');
    await expect(startTestGateway({ configDir: bad })).rejects.toThrow(
      /has 2 problems[\s\S]*docker-small\.yaml: resources\.memory[\s\S]*broken\.yaml: language/,
    );
    rmSync(bad, { recursive: true, force: true });
  });

  it("takes gateway settings from the directory's berth.yaml, flags winning", async () => {
    const other = await startTestGateway({ configDir });
    try {
      expect(other.gateway.services.kernels).toBeDefined();
      expect(other.port).not.toBe(8888); // berth.yaml says 8888; the harness flag (port 0) wins
    } finally {
      await other.stop();
    }
  });

  it('refuses a defaultExecutionConfig that does not exist', async () => {
    await expect(startTestGateway({ configDir, defaultExecutionConfig: 'nope' })).rejects.toThrow(
      /defaultExecutionConfig names the exec config "nope"/,
    );
  });
});
