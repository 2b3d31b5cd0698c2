// Extra Docker daemons beside the main one (test/support/extra-daemon.ts, scripts/lib/extra-daemons.mjs):
// 't1' on its own unix socket, 't2' also on TCP 127.0.0.1 with TLS and client certificates. They
// are the ground the multi-daemon and remote-daemon tests of the Docker backend stand on, so this
// checks what those rely on: separate identities and data, an image copied from the main daemon,
// a container on the host network that only its own daemon sees, and TLS refusing a client
// without a certificate. scripts/test.mjs starts the main daemon and makes the OS base image
// (scripts/ensure-docker.mjs) before jest runs. Both daemons are stopped afterwards; their data
// directories stay as an image cache for the next run.
import Dockerode from 'dockerode';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dockerodeOptions, loadImageInto, startExtraDaemon, stopExtraDaemon, type ExtraDaemon } from '../support/extra-daemon';

const OS_IMAGE = 'berth/os-bookworm:latest';
const TEST_LABEL = { 'berth.io/test': 'extra-daemons' };
const main = new Dockerode({ socketPath: '/var/run/docker.sock' });

let t1: ExtraDaemon;
let t2: ExtraDaemon;
let docker1: Dockerode;
let docker2: Dockerode;

/** The stdout and stderr of a non-TTY container's log stream (8-byte frame headers: stream, 0, 0, 0, size). */
function demux(raw: Buffer): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  for (let at = 0; at + 8 <= raw.length;) {
    const size = raw.readUInt32BE(at + 4);
    const text = raw.subarray(at + 8, at + 8 + size).toString('utf8');
    if (raw[at] === 2) out.stderr += text;
    else out.stdout += text;
    at += 8 + size;
  }
  return out;
}

async function removeTestContainers(docker: Dockerode): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: ['berth.io/test=extra-daemons'] } });
  for (const c of containers) await docker.getContainer(c.Id).remove({ force: true });
}

beforeAll(async () => {
  [t1, t2] = await Promise.all([startExtraDaemon('t1'), startExtraDaemon('t2', { tls: true })]);
  docker1 = new Dockerode(dockerodeOptions(t1));
  docker2 = new Dockerode(dockerodeOptions(t2, { tcp: true }));
}, 180_000);

afterAll(async () => {
  for (const docker of [docker1, docker2]) if (docker) await removeTestContainers(docker).catch(() => undefined);
  await Promise.all([stopExtraDaemon('t1'), stopExtraDaemon('t2')]);
}, 120_000);

test('each extra daemon has its own socket, data root and identity, and is not the main daemon', async () => {
  expect(t1.socketHost).toBe('unix:///tmp/berth-dockerd-t1/docker.sock');
  expect(t1.tcpHost).toBeUndefined();
  expect(t2.tcpHost).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);

  const [info0, info1, info2] = await Promise.all([main.info(), docker1.info(), docker2.info()]);
  expect(info1.DockerRootDir).toBe('/tmp/berth-dockerd-t1/data');
  expect(info2.DockerRootDir).toBe('/tmp/berth-dockerd-t2/data');
  expect(info0.DockerRootDir).not.toMatch(/^\/tmp\/berth-dockerd-t/);
  expect(new Set([info0.ID, info1.ID, info2.ID]).size).toBe(3);
  expect(info1.Labels).toContain('berth.io/extra-daemon=t1');
  expect(info2.Labels).toContain('berth.io/extra-daemon=t2');
  for (const info of [info1, info2]) expect(info.Driver).toBe(info0.Driver);

  // t2 answers on its unix socket too, as the same daemon.
  const t2Socket = new Dockerode(dockerodeOptions(t2));
  expect((await t2Socket.info()).ID).toBe(info2.ID);

  // A second start reuses the running daemons.
  const again = await startExtraDaemon('t1');
  expect(again).toEqual(expect.objectContaining({ started: false, pid: t1.pid, socketHost: t1.socketHost }));
});

test('the TLS daemon gives clients exactly ca.pem, cert.pem and key.pem, and refuses a client without a certificate', async () => {
  expect(readdirSync(t2.certDir!).sort()).toEqual(['ca.pem', 'cert.pem', 'key.pem']);
  expect(statSync(join(t2.certDir!, 'key.pem')).mode & 0o777).toBe(0o600);

  expect(await docker2.ping()).toBeTruthy();

  const { host, port } = dockerodeOptions(t2, { tcp: true });
  const noCert = new Dockerode({ protocol: 'https', host, port, ca: readFileSync(join(t2.certDir!, 'ca.pem'), 'utf8') });
  const refused = await noCert.ping().then(
    () => undefined,
    (err: Error & { statusCode?: number }) => err,
  );
  // Refused in the TLS handshake (the server's "bad certificate" / "certificate required" alert), not by an HTTP answer.
  // (Not toBeInstanceOf(Error): the error comes from node's TLS socket, outside jest's realm.)
  expect(refused).toBeDefined();
  expect(refused!.statusCode).toBeUndefined();
  expect(refused!.message).toMatch(/certificate/i);

  // Plain HTTP to the TLS port gets no API either.
  const plain = new Dockerode({ protocol: 'http', host, port });
  await expect(plain.ping()).rejects.toThrow();
});

test('an image copied from the main daemon runs a container on the host network that only t1 sees', async () => {
  const sourceId = (await main.getImage(OS_IMAGE).inspect()).Id;
  const first = await loadImageInto('t1', OS_IMAGE);
  expect(first.id).toBe(sourceId);
  expect((await docker1.getImage(OS_IMAGE).inspect()).Id).toBe(sourceId);
  const second = await loadImageInto('t1', OS_IMAGE);
  expect(second).toEqual(expect.objectContaining({ id: sourceId, loaded: false }));

  const container = await docker1.createContainer({
    name: `berth-test-extra-daemons-${process.pid}`,
    Image: OS_IMAGE,
    Cmd: ['cat', '/etc/debian_version'],
    Labels: TEST_LABEL,
    HostConfig: { NetworkMode: 'host' },
  });
  try {
    await container.start();
    const exit = (await container.wait()) as { StatusCode: number };
    expect(exit.StatusCode).toBe(0);
    const logs = demux((await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
    expect(logs.stdout.trim()).toMatch(/^12(\.\d+)?$/);
    expect((await container.inspect()).HostConfig.NetworkMode).toBe('host');

    // The main daemon and t2 know nothing of it.
    await expect(main.getContainer(container.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker2.getContainer(container.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const mainTest = await main.listContainers({ all: true, filters: { label: ['berth.io/test=extra-daemons'] } });
    expect(mainTest).toEqual([]);
  } finally {
    await container.remove({ force: true });
  }
  expect(await docker1.listContainers({ all: true, filters: { label: ['berth.io/test=extra-daemons'] } })).toEqual([]);
}, 600_000);
