// GET pods/{name}/log: the kubelet's choice of container (current, previous, or why there is none,
// in its words), then `docker logs` with tailLines, sinceSeconds/sinceTime, timestamps, follow and
// limitBytes, answered as text/plain.
import type { ServerResponse } from 'node:http';
import type Dockerode from 'dockerode';
import { errors, FieldError } from './status';
import type { Pod } from './types';

/** Concatenates the payloads of Docker's multiplexed stdout/stderr frames (8-byte headers). */
export function demux(buffer: Buffer): { payload: Buffer; rest: Buffer } {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    if (offset + 8 + size > buffer.length) break;
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return { payload: Buffer.concat(parts), rest: buffer.subarray(offset) };
}

/** The last `lines` lines of a container's output (for FallbackToLogsOnError). */
export async function logTail(docker: Dockerode, id: string, lines: number, tty: boolean): Promise<string> {
  const raw = (await docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false, tail: lines })) as unknown as Buffer;
  return (tty ? raw : demux(raw).payload).toString('utf8');
}

/** The container id whose logs the request reads, or the kubelet's reason for having none (400). */
function containerId(pod: Pod, container: string, previous: boolean): string {
  const podName = pod.metadata.name;
  const status = pod.status.containerStatuses?.find((s) => s.name === container);
  const strip = (id: string | undefined): string | undefined => id?.replace(/^docker:\/\//, '') || undefined;
  const last = strip(status?.lastState.terminated?.containerID);
  if (previous) {
    if (last === undefined) throw errors.badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
    return last;
  }
  const state = status?.state;
  if (state?.running !== undefined) return strip(status?.containerID)!;
  if (state?.terminated !== undefined) {
    const id = strip(state.terminated.containerID) ?? last;
    if (id === undefined) throw errors.badRequest(`container "${container}" in pod "${podName}" is terminated`);
    return id;
  }
  if (last !== undefined) return last;
  const reason = state?.waiting?.reason ?? 'ContainerCreating';
  if (reason === 'ErrImagePull')
    throw errors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: image can't be pulled`);
  if (reason === 'ImagePullBackOff')
    throw errors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: trying and failing to pull image`);
  throw errors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
}

function integer(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
  return n;
}

export async function servePodLogs(docker: Dockerode, pod: Pod, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const podName = pod.metadata.name ?? '';
  const names = pod.spec.containers.map((c) => c.name);
  let container = query.get('container') ?? '';
  if (container === '') {
    if (names.length !== 1)
      throw errors.badRequest(`a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`);
    container = names[0];
  }
  if (!names.includes(container)) throw errors.badRequest(`container ${container} is not valid for pod ${podName}`);
  const tailLines = integer(query, 'tailLines');
  const limitBytes = integer(query, 'limitBytes');
  const sinceSeconds = integer(query, 'sinceSeconds');
  const sinceTime = query.get('sinceTime');
  const errs: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0) errs.push(FieldError.invalid('tailLines', tailLines, 'must be greater than or equal to 0'));
  if (limitBytes !== undefined && limitBytes < 1) errs.push(FieldError.invalid('limitBytes', limitBytes, 'must be greater than 0'));
  if (sinceSeconds !== undefined && sinceSeconds < 1) errs.push(FieldError.invalid('sinceSeconds', sinceSeconds, 'must be greater than 0'));
  if (sinceSeconds !== undefined && sinceTime)
    errs.push(FieldError.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  if (errs.length > 0) throw errors.invalid('PodLogOptions', podName, errs);
  if (!pod.spec.nodeName) throw errors.badRequest(`pod ${podName} does not have a host assigned`);
  const id = containerId(pod, container, query.get('previous') === 'true');
  const tty = pod.spec.containers.find((c) => c.name === container)?.tty === true;
  const follow = query.get('follow') === 'true';
  let since = 0;
  if (sinceSeconds !== undefined) since = Math.floor(Date.now() / 1000) - sinceSeconds;
  else if (sinceTime) since = Math.floor(Date.parse(sinceTime) / 1000);
  const options = {
    stdout: true,
    stderr: true,
    timestamps: query.get('timestamps') === 'true',
    since,
    ...(tailLines === undefined ? {} : { tail: tailLines }),
  };
  let budget = limitBytes ?? Infinity;
  const emit = (chunk: Buffer): boolean => {
    const part = chunk.subarray(0, Math.min(chunk.length, budget));
    budget -= part.length;
    if (part.length > 0) res.write(part);
    return budget > 0;
  };
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  const target = docker.getContainer(id);
  if (!follow) {
    const raw = await target.logs({ ...options, follow: false });
    emit(tty ? raw : demux(raw).payload);
    res.end();
    return;
  }
  const stream = (await target.logs({ ...options, follow: true })) as NodeJS.ReadableStream & { destroy(): void };
  let pending: Buffer = Buffer.alloc(0);
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      stream.destroy();
      resolve();
    };
    stream.on('data', (chunk: Buffer) => {
      let payload = chunk;
      if (!tty) {
        const split = demux(Buffer.concat([pending, chunk]));
        pending = split.rest;
        payload = split.payload;
      }
      if (!emit(payload)) finish();
    });
    stream.on('end', finish);
    stream.on('error', finish);
    res.on('close', finish);
  });
  res.end();
}
