import { createHash } from 'node:crypto';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { upgradeStatus as upgradeStatusAt } from '../support/upgrade-status';

// Identity and permissions on a real gateway: two users and an admin from the config, one of
// them by SHA-256 only. A user sees and reaches only their own kernels and sessions; others'
// ids answer 404 exactly like unknown ids. Ownership and quotas follow the identity, never the
// client's KERNEL_USERNAME.

jest.setTimeout(120_000);

const TOKENS = { alice: 'alice-secret-token-0001', bob: 'bob-secret-token-00002', carol: 'carol-admin-token-0003' };
type User = keyof typeof TOKENS;

interface KernelModel {
  id: string;
}

interface SessionModel {
  id: string;
  path: string;
  kernel: KernelModel;
}

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    kernels: { maxKernelsPerUser: 1 },
    auth: {
      users: [
        { name: 'alice', token: TOKENS.alice, groups: ['data'] },
        { name: 'bob', tokenSha256: createHash('sha256').update(TOKENS.bob).digest('hex') },
        { name: 'carol', token: TOKENS.carol, admin: true },
      ],
      // An address no test connects from: headers from loopback must be ignored.
      proxy: { trustedAddresses: ['10.255.255.1'] },
    },
  });
});

afterAll(async () => {
  await gw?.stop();
});

function as(user: User | undefined, path: string, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
  if (user) headers['Authorization'] = `token ${TOKENS[user]}`;
  return fetch(`${gw.url}${path}`, { ...init, headers });
}

function post(user: User, path: string, body: unknown): Promise<Response> {
  return as(user, path, { method: 'POST', body: JSON.stringify(body) });
}

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function kernelIds(user: User): Promise<string[]> {
  return (await json<KernelModel[]>(await as(user, 'api/kernels'), 200)).map((kernel) => kernel.id);
}

/** The HTTP status a channels upgrade gets (101 if it opened). */
function upgradeStatus(user: User, kernelId: string): Promise<number> {
  return upgradeStatusAt(`${gw.wsUrl}api/kernels/${kernelId}/channels`, { Authorization: `token ${TOKENS[user]}` });
}

describe('users and permissions', () => {
  let aliceKernel: string;
  let bobKernel: string;
  let aliceSession: SessionModel;

  it('owns a kernel by identity; KERNEL_USERNAME only reaches the kernel env', async () => {
    const started = await json<KernelModel>(await post('alice', 'api/kernels', { name: 'python3', env: { KERNEL_USERNAME: 'bob' } }), 201);
    aliceKernel = started.id;
    const kernel = gw.gateway.services.kernels.get(aliceKernel);
    expect(kernel.owner).toBe('alice');
    expect(kernel.env['KERNEL_USERNAME']).toBe('bob');
  });

  it('counts the per-user quota by identity, whatever KERNEL_USERNAME says', async () => {
    const refused = await post('alice', 'api/kernels', { name: 'python3', env: { KERNEL_USERNAME: 'carol' } });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { code: string; message: string }).message).toMatch(/User "alice" already runs/);
    // Alice's kernel claimed to be bob's, but bob's quota is untouched.
    bobKernel = (await json<KernelModel>(await post('bob', 'api/kernels', { name: 'python3' }), 201)).id;
    expect(gw.gateway.services.kernels.get(bobKernel).owner).toBe('bob');
  });

  it("hides alice's kernel from bob: list, GET, DELETE, interrupt, restart and channels all answer 404", async () => {
    expect(await kernelIds('bob')).toEqual([bobKernel]);
    expect(await kernelIds('alice')).toEqual([aliceKernel]);
    const unknown = await as('bob', 'api/kernels/00000000-0000-4000-8000-000000000000');
    const hidden = await as('bob', `api/kernels/${aliceKernel}`);
    expect(hidden.status).toBe(404);
    // Indistinguishable from an id that does not exist, but for the id itself.
    const unknownBody = (await unknown.json()) as { message: string };
    const hiddenBody = (await hidden.json()) as { message: string };
    expect(hiddenBody.message.replace(aliceKernel, 'ID')).toBe(unknownBody.message.replace('00000000-0000-4000-8000-000000000000', 'ID'));
    expect((await as('bob', `api/kernels/${aliceKernel}`, { method: 'DELETE' })).status).toBe(404);
    expect((await as('bob', `api/kernels/${aliceKernel}/interrupt`, { method: 'POST' })).status).toBe(404);
    expect((await as('bob', `api/kernels/${aliceKernel}/restart`, { method: 'POST' })).status).toBe(404);
    expect(await upgradeStatus('bob', aliceKernel)).toBe(404);
    // Alice's own kernel is hers to use, and still running.
    expect(await upgradeStatus('alice', aliceKernel)).toBe(101);
    expect((await as('alice', `api/kernels/${aliceKernel}`)).status).toBe(200);
  });

  it("hides alice's sessions from bob, and keeps same-path sessions apart", async () => {
    aliceSession = await json<SessionModel>(
      await post('alice', 'api/sessions', { path: 'Untitled.ipynb', type: 'notebook', kernel: { id: aliceKernel } }),
      201,
    );
    expect((await json<SessionModel[]>(await as('bob', 'api/sessions'), 200)).map((s) => s.id)).toEqual([]);
    expect((await as('bob', `api/sessions/${aliceSession.id}`)).status).toBe(404);
    expect(
      (await as('bob', `api/sessions/${aliceSession.id}`, { method: 'PATCH', body: JSON.stringify({ path: 'x.ipynb' }) })).status,
    ).toBe(404);
    expect((await as('bob', `api/sessions/${aliceSession.id}`, { method: 'DELETE' })).status).toBe(404);
    // Bob cannot bind a session to alice's kernel...
    expect((await post('bob', 'api/sessions', { path: 'b.ipynb', type: 'notebook', kernel: { id: aliceKernel } })).status).toBe(404);
    // ...and the same path is his own session, on his own kernel, not alice's.
    const bobSession = await json<SessionModel>(
      await post('bob', 'api/sessions', { path: 'Untitled.ipynb', type: 'notebook', kernel: { id: bobKernel } }),
      201,
    );
    expect(bobSession.id).not.toBe(aliceSession.id);
    expect(bobSession.kernel.id).toBe(bobKernel);
    expect((await json<SessionModel[]>(await as('alice', 'api/sessions'), 200)).map((s) => s.id)).toEqual([aliceSession.id]);
  });

  it('lets admins (configured, or the shared token) see and reach every kernel and session', async () => {
    expect((await kernelIds('carol')).sort()).toEqual([aliceKernel, bobKernel].sort());
    expect((await as('carol', `api/kernels/${aliceKernel}`)).status).toBe(200);
    expect((await json<SessionModel[]>(await as('carol', 'api/sessions'), 200)).length).toBe(2);
    const shared = (await json<KernelModel[]>(await gw.api('api/kernels'), 200)).map((kernel) => kernel.id);
    expect(shared.sort()).toEqual([aliceKernel, bobKernel].sort());
  });

  it('needs a valid identity for /api/status and /metrics; status counts only what the caller sees', async () => {
    for (const path of ['api/status', 'metrics', 'api/kernels']) {
      expect((await as(undefined, path)).status).toBe(401);
      expect((await as(undefined, path, { headers: { Authorization: 'token not-a-valid-token-at-all' } })).status).toBe(403);
      expect((await as('bob', path)).status).toBe(200);
    }
    expect((await json<{ kernels: number }>(await as('bob', 'api/status'), 200)).kernels).toBe(1);
    expect((await json<{ kernels: number }>(await as('carol', 'api/status'), 200)).kernels).toBe(2);
  });

  it('ignores auth proxy headers from an address that is not trusted', async () => {
    expect((await as(undefined, 'api/kernels', { headers: { 'X-Forwarded-User': 'carol' } })).status).toBe(401);
    expect(await kernelIds('bob')).toEqual([bobKernel]);
    expect(
      (await as('bob', 'api/kernels', { headers: { 'X-Forwarded-User': 'carol' } }).then((r) => r.json())) as KernelModel[],
    ).toHaveLength(1);
  });

  it("lets the owner shut their kernel down, and the admin shut down anyone's", async () => {
    expect((await as('alice', `api/kernels/${aliceKernel}`, { method: 'DELETE' })).status).toBe(204);
    expect((await as('carol', `api/kernels/${bobKernel}`, { method: 'DELETE' })).status).toBe(204);
    expect(await kernelIds('carol')).toEqual([]);
  });
});
