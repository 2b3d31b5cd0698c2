// The node's kubelet: one worker per pod bound to the node runs its containers on the local Docker
// Engine (host network) and writes the pod status the real kubelet writes — volumes mounted
// (FailedMount until the secret exists), image "pulled" (Pulling/Pulled, or ErrImagePull then
// ImagePullBackOff with backoff), container created and started (Created/Started; a config error is
// CreateContainerConfigError), Running with ready containers and Ready conditions, exits as
// terminated states (Completed / Error / OOMKilled), restarts per restartPolicy with CrashLoopBackOff,
// the pod phase by the kubelet's own rule; on deletion Killing, `docker stop` with the grace period,
// the final status, then the pod's removal from the API.
import { rm } from 'node:fs/promises';
import type Dockerode from 'dockerode';
import { checkRunAsNonRoot, ConfigError, dockerCreateOptions, LABEL_INSTANCE, LABEL_POD, resolveEnv } from './container-config';
import { goDuration, pullImage } from './image-puller';
import { rfc3339 } from './meta';
import { setCondition } from './pod-conditions';
import { logTail } from './pod-logs';
import type { EventRecorder, EventType } from './resources/events';
import type { NodeInfo } from './scheduler';
import { MountError, mountVolumes, podVolumesDir, type VolumeDirs } from './secret-volumes';
import type { Store } from './store';
import type { Switches } from './switches';
import type { Container, ContainerState, ContainerStateTerminated, ContainerStatus, Pod, Timings } from './types';

export interface KubeletDeps {
  docker: Dockerode;
  store: Store;
  events: EventRecorder;
  switches: Switches;
  node: NodeInfo;
  timings: Timings;
  /** Where pods' volumes live on the host. */
  volumeRoot: string;
  /** Labels every Docker container of this emulator carries (instance id, owner pid). */
  instanceLabels: Record<string, string>;
  /** The KUBERNETES_SERVICE_* variables every container gets. */
  serviceEnv: () => Record<string, string>;
}

interface Run {
  spec: Container;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  imageID: string;
  /** The Docker container of the current (or last) attempt. */
  dockerId?: string;
  /** Docker containers made for this container so far; restartCount is this minus one. */
  created: number;
  restarts: number;
  pullFailures: number;
  oomKilledId?: string;
  exited?: Promise<void>;
}

const MOUNT_RETRY_MAX_MS = 122_000;
const FALLBACK_LOG_LINES = 80;
const FALLBACK_LOG_BYTES = 2048;

/**
 * How long an exit by SIGKILL waits for the daemon to record an OOM kill. Docker learns of the OOM
 * from a separate containerd event, which under load can come after the exit: the real kubelet
 * reads the reason from the runtime's own OOM tracking, so the emulator waits for it.
 */
const OOM_SETTLE_MS = 2000;
const OOM_POLL_MS = 100;

/** The exited container's state, once an exit by SIGKILL has had time to be marked as an OOM kill. */
async function oomSettled(
  container: Dockerode.Container,
  /** True when the exit's cause is known already (the pod is being deleted, or the OOM switch killed it). */
  causeKnown: () => boolean,
): Promise<Dockerode.ContainerInspectInfo | undefined> {
  const deadline = Date.now() + OOM_SETTLE_MS;
  for (;;) {
    const info = await container.inspect().catch(() => undefined);
    const settled = info === undefined || info.State.ExitCode !== 137 || info.State.OOMKilled;
    if (settled || causeKnown() || Date.now() >= deadline) return info;
    await new Promise((resolve) => setTimeout(resolve, OOM_POLL_MS));
  }
}

function dockerMessage(err: unknown): string {
  const json = (err as { json?: { message?: string } }).json;
  return json?.message ?? (err as Error).message ?? String(err);
}

function toTime(docker: string | undefined): string {
  const t = docker === undefined ? NaN : Date.parse(docker);
  return Number.isNaN(t) || t <= 0 ? rfc3339(new Date(0)) : rfc3339(new Date(t));
}

class PodWorker {
  private readonly runs: Run[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly dockerIds = new Set<string>();
  private volumes: VolumeDirs = new Map();
  private mounted = false;
  private sandboxGone = false;
  private terminal = false;
  private terminating = false;
  private graceSeconds = Infinity;
  private destroyed = false;
  private readonly namespace: string;
  private readonly name: string;

  constructor(
    private readonly k: KubeletDeps,
    private pod: Pod,
  ) {
    this.namespace = pod.metadata.namespace ?? '';
    this.name = pod.metadata.name ?? '';
    this.runs = pod.spec.containers.map((spec) => ({
      spec,
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      ready: false,
      started: false,
      imageID: '',
      created: 0,
      restarts: 0,
      pullFailures: 0,
    }));
  }

  private get stopping(): boolean {
    return this.terminating || this.destroyed;
  }

  private get podRef(): string {
    return `${this.name}_${this.namespace}(${this.pod.metadata.uid})`;
  }

  private later(ms: number, action: () => void): void {
    if (this.stopping) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopping) action();
    }, ms);
    this.timers.add(timer);
  }

  private event(type: EventType, reason: string, message: string, container?: string): void {
    this.k.events.kubelet(this.pod, type, reason, message, container);
  }

  start(): void {
    void this.mount(0);
  }

  private async mount(attempt: number): Promise<void> {
    if (this.stopping) return;
    try {
      this.volumes = await mountVolumes(this.k.store, this.k.volumeRoot, this.pod);
    } catch (err) {
      const message = err instanceof MountError ? err.message : `MountVolume.SetUp failed: ${(err as Error).message}`;
      if (attempt === 0) this.writeStatus();
      this.event('Warning', 'FailedMount', message);
      this.later(Math.min(this.k.timings.mountRetryMs * 2 ** attempt, MOUNT_RETRY_MAX_MS), () => void this.mount(attempt + 1));
      return;
    }
    if (this.stopping) return;
    this.mounted = true;
    this.writeStatus();
    for (const run of this.runs) await this.startContainer(run);
  }

  private async startContainer(run: Run): Promise<void> {
    if (this.stopping || this.terminal) return;
    try {
      await this.runContainer(run);
    } catch (err) {
      if (this.stopping) return;
      const message = dockerMessage(err);
      this.event('Warning', 'Failed', `Error: ${message}`, run.spec.name);
      run.state = { waiting: { reason: 'CreateContainerError', message } };
      this.writeStatus();
      this.later(this.k.timings.podSyncMs, () => void this.startContainer(run));
    }
  }

  private async runContainer(run: Run): Promise<void> {
    const { docker, store, switches, timings } = this.k;
    const c = run.spec;
    const image = c.image ?? '';
    const missingPullSecrets = (this.pod.spec.imagePullSecrets ?? [])
      .map((s) => s.name ?? '')
      .filter((name) => store.get('secrets', this.namespace, name) === undefined);
    if (missingPullSecrets.length > 0) {
      const list = missingPullSecrets.join(', ');
      this.event(
        'Warning',
        'FailedToRetrieveImagePullSecret',
        `Unable to retrieve some image pull secrets (${list}); attempting to pull the image may not succeed.`,
      );
    }
    const pull = await pullImage(docker, switches, image, c.imagePullPolicy ?? 'IfNotPresent');
    if (this.stopping) return;
    if (!pull.ok) {
      if (pull.reason === 'ErrImageNeverPull') {
        this.event('Warning', 'ErrImageNeverPull', pull.message, c.name);
        this.event('Warning', 'Failed', 'Error: ErrImageNeverPull', c.name);
        run.state = { waiting: { reason: 'ErrImageNeverPull', message: pull.message } };
        this.writeStatus();
        this.later(timings.podSyncMs, () => void this.startContainer(run));
        return;
      }
      this.event('Normal', 'Pulling', `Pulling image "${image}"`, c.name);
      this.event('Warning', 'Failed', `Failed to pull image "${image}": ${pull.message}`, c.name);
      this.event('Warning', 'Failed', 'Error: ErrImagePull', c.name);
      run.state = { waiting: { reason: 'ErrImagePull', message: pull.message } };
      this.writeStatus();
      const backoff = Math.min(timings.imagePullBackoffMs * 2 ** run.pullFailures++, timings.imagePullBackoffMaxMs);
      this.later(timings.podSyncMs, () => {
        this.event('Normal', 'BackOff', `Back-off pulling image "${image}"`, c.name);
        this.event('Warning', 'Failed', 'Error: ImagePullBackOff', c.name);
        run.state = {
          waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ErrImagePull: ${pull.message}` },
        };
        this.writeStatus();
        this.later(backoff, () => void this.startContainer(run));
      });
      return;
    }
    run.pullFailures = 0;
    run.imageID = pull.imageID;
    if (pull.pulled) {
      const took = goDuration(pull.ms);
      this.event('Normal', 'Pulling', `Pulling image "${image}"`, c.name);
      this.event(
        'Normal',
        'Pulled',
        `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${pull.size} bytes.`,
        c.name,
      );
    } else {
      this.event('Normal', 'Pulled', `Container image "${image}" already present on machine`, c.name);
    }

    const current = store.get('pods', this.namespace, this.name) as Pod | undefined;
    if (current === undefined) return;
    this.pod = current;
    let env: Map<string, string>;
    try {
      checkRunAsNonRoot(this.pod, c, pull.user);
      env = resolveEnv(store, this.pod, c, this.k.serviceEnv());
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.event('Warning', 'Failed', `Error: ${err.message}`, c.name);
      run.state = { waiting: { reason: 'CreateContainerConfigError', message: err.message } };
      this.writeStatus();
      this.later(timings.podSyncMs, () => void this.startContainer(run));
      return;
    }

    const { uid = '' } = this.pod.metadata;
    const container = await docker.createContainer(
      dockerCreateOptions({
        pod: this.pod,
        container: c,
        env,
        volumes: this.volumes,
        imageUser: pull.user,
        name: `k8s_${c.name}_${this.name}_${this.namespace}_${uid}_${run.created}`,
        labels: {
          ...this.k.instanceLabels,
          [LABEL_POD]: `${this.namespace}/${this.name}`,
          'io.kubernetes.pod.name': this.name,
          'io.kubernetes.pod.namespace': this.namespace,
          'io.kubernetes.pod.uid': uid,
          'io.kubernetes.container.name': c.name,
        },
      }),
    );
    this.dockerIds.add(container.id);
    run.created++;
    if (this.stopping) {
      await container.remove({ force: true }).catch(() => undefined);
      return;
    }
    run.dockerId = container.id;
    const containerID = `docker://${container.id}`;
    this.event('Normal', 'Created', `Created container: ${c.name}`, c.name);
    try {
      await container.start();
    } catch (err) {
      const message = dockerMessage(err);
      this.event('Warning', 'Failed', `Error: ${message}`, c.name);
      const now = rfc3339();
      await this.afterExit(run, {
        exitCode: 128,
        reason: 'StartError',
        message,
        startedAt: rfc3339(new Date(0)),
        finishedAt: now,
        containerID,
      });
      return;
    }
    const info = await container.inspect();
    run.state = { running: { startedAt: toTime(info.State.StartedAt) } };
    run.ready = true;
    run.started = true;
    this.event('Normal', 'Started', `Started container ${c.name}`, c.name);
    run.exited = container
      .wait()
      .catch(() => undefined)
      .then(() => this.exited(run, container.id));
    this.writeStatus();
    const oomAfter = switches.takeOom();
    if (oomAfter !== undefined) {
      run.oomKilledId = container.id;
      const kill = (): void => void container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
      if (oomAfter <= 0) kill();
      else setTimeout(kill, oomAfter);
    }
  }

  private async exited(run: Run, id: string): Promise<void> {
    if (this.destroyed) return;
    const info = await oomSettled(this.k.docker.getContainer(id), () => this.stopping || run.oomKilledId === id);
    if (this.destroyed || info === undefined) return;
    const exitCode = info.State.ExitCode;
    const oom = run.oomKilledId === id || info.State.OOMKilled;
    const terminated: ContainerStateTerminated = {
      exitCode: oom && exitCode === 0 ? 137 : exitCode,
      reason: oom ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error',
      startedAt: toTime(info.State.StartedAt),
      finishedAt: toTime(info.State.FinishedAt),
      containerID: `docker://${id}`,
    };
    if (run.spec.terminationMessagePolicy === 'FallbackToLogsOnError' && exitCode !== 0) {
      const tail = await logTail(this.k.docker, id, FALLBACK_LOG_LINES, run.spec.tty === true).catch(() => '');
      if (tail !== '') terminated.message = Buffer.from(tail).subarray(-FALLBACK_LOG_BYTES).toString('utf8');
    }
    await this.afterExit(run, terminated);
  }

  private async afterExit(run: Run, terminated: ContainerStateTerminated): Promise<void> {
    if (this.destroyed) return;
    run.state = { terminated };
    run.ready = false;
    run.started = false;
    const policy = this.pod.spec.restartPolicy;
    const restart = !this.stopping && !this.terminal && (policy === 'Always' || (policy === 'OnFailure' && terminated.exitCode !== 0));
    this.writeStatus();
    if (!restart) return;
    const delay =
      run.restarts === 0 ? 0 : Math.min(this.k.timings.restartBackoffMs * 2 ** (run.restarts - 1), this.k.timings.restartBackoffMaxMs);
    run.restarts++;
    run.lastState = { terminated };
    if (delay > 0) {
      const c = run.spec.name;
      run.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${goDuration(delay)} restarting failed container=${c} pod=${this.podRef}`,
        },
      };
      this.event('Warning', 'BackOff', `Back-off restarting failed container ${c} in pod ${this.podRef}`, c);
      this.writeStatus();
    }
    this.later(delay, () => void this.startContainer(run));
  }

  /** The kubelet's getPhase. */
  private phase(): string {
    let waiting = 0;
    let running = 0;
    let stopped = 0;
    let succeeded = 0;
    for (const r of this.runs) {
      if (r.state.running) running++;
      else if (r.state.terminated) {
        stopped++;
        if (r.state.terminated.exitCode === 0) succeeded++;
      } else if (r.lastState.terminated) stopped++;
      else waiting++;
    }
    if (waiting > 0) return 'Pending';
    if (running > 0) return 'Running';
    if (stopped === 0) return 'Pending';
    if (this.terminating) return stopped === succeeded ? 'Succeeded' : 'Failed';
    const policy = this.pod.spec.restartPolicy;
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    return policy === 'Never' ? 'Failed' : 'Running';
  }

  private containerStatus(r: Run): ContainerStatus {
    const status: ContainerStatus = {
      name: r.spec.name,
      state: r.state,
      lastState: r.lastState,
      ready: r.ready,
      restartCount: Math.max(0, r.created - 1),
      image: r.spec.image ?? '',
      imageID: r.imageID,
      started: r.started,
    };
    if (r.dockerId !== undefined) status.containerID = `docker://${r.dockerId}`;
    return status;
  }

  private writeStatus(): void {
    if (this.destroyed) return;
    const ip = this.k.node.ip;
    const updated = this.k.store.mutate<Pod>('pods', this.namespace, this.name, (p) => {
      const s = p.status;
      s.hostIP = ip;
      s.hostIPs = [{ ip }];
      s.podIP = ip;
      s.podIPs = [{ ip }];
      s.startTime = s.startTime ?? rfc3339();
      s.containerStatuses = this.runs.map((r) => this.containerStatus(r));
      s.phase = this.phase();
      const finished = s.phase === 'Succeeded' || s.phase === 'Failed';
      setCondition(s, 'PodReadyToStartContainers', this.mounted && !this.sandboxGone && !finished ? 'True' : 'False');
      setCondition(s, 'Initialized', 'True');
      const unready = this.runs.filter((r) => !r.ready).map((r) => r.spec.name);
      if (finished) {
        setCondition(s, 'Ready', 'False', 'PodCompleted');
        setCondition(s, 'ContainersReady', 'False', 'PodCompleted');
      } else if (unready.length > 0) {
        const message = `containers with unready status: [${unready.join(' ')}]`;
        setCondition(s, 'Ready', 'False', 'ContainersNotReady', message);
        setCondition(s, 'ContainersReady', 'False', 'ContainersNotReady', message);
      } else {
        setCondition(s, 'Ready', 'True');
        setCondition(s, 'ContainersReady', 'True');
      }
    });
    if (updated === undefined) return;
    this.pod = updated;
    if (updated.status.phase === 'Succeeded' || updated.status.phase === 'Failed') this.terminal = true;
  }

  /** Graceful deletion: Killing, docker stop with the grace period, the final status, then the pod leaves the API. */
  async terminate(graceSeconds: number): Promise<void> {
    if (this.destroyed || (this.terminating && graceSeconds >= this.graceSeconds)) return;
    const live = this.runs.filter((r) => r.state.running !== undefined && r.dockerId !== undefined);
    const first = !this.terminating;
    this.terminating = true;
    this.graceSeconds = graceSeconds;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (first) for (const r of live) this.event('Normal', 'Killing', `Stopping container ${r.spec.name}`, r.spec.name);
    await Promise.all(
      live.map((r) =>
        this.k.docker
          .getContainer(r.dockerId!)
          .stop({ t: graceSeconds })
          .catch(() => undefined),
      ),
    );
    await Promise.all(live.map((r) => r.exited));
    if (!first || this.destroyed) return;
    this.sandboxGone = true;
    this.writeStatus();
    this.k.store.remove('pods', this.namespace, this.name);
  }

  /** The pod left the API (or the emulator stops): kill and remove its containers and volumes. */
  async destroy(quiet = false): Promise<void> {
    if (this.destroyed) return;
    if (!quiet && !this.terminating) {
      for (const r of this.runs)
        if (r.state.running !== undefined) this.event('Normal', 'Killing', `Stopping container ${r.spec.name}`, r.spec.name);
    }
    this.destroyed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(
      [...this.dockerIds].map((id) =>
        this.k.docker
          .getContainer(id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
    await rm(podVolumesDir(this.k.volumeRoot, this.pod), { recursive: true, force: true });
  }
}

export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly k: KubeletDeps) {}

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((err: unknown) => {
        process.stderr.write(`[kube-emulator] kubelet: ${(err as Error).stack ?? err}\n`);
      })
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  start(): () => void {
    return this.k.store.onChange((change) => {
      if (change.resource !== 'pods') return;
      const pod = change.object as Pod;
      const uid = pod.metadata.uid ?? '';
      if (change.type === 'DELETED') {
        const worker = this.workers.get(uid);
        this.workers.delete(uid);
        if (worker !== undefined) this.track(worker.destroy());
        return;
      }
      if (pod.spec.nodeName !== this.k.node.name) return;
      let worker = this.workers.get(uid);
      if (worker === undefined) {
        if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') return;
        const current = this.k.store.get('pods', pod.metadata.namespace, pod.metadata.name ?? '') as Pod | undefined;
        if (current === undefined || current.metadata.uid !== uid) return;
        worker = new PodWorker(this.k, current);
        this.workers.set(uid, worker);
        worker.start();
      }
      if (pod.metadata.deletionTimestamp !== undefined) this.track(worker.terminate(pod.metadata.deletionGracePeriodSeconds ?? 30));
    });
  }

  /** Removes every container and volume of every pod (the emulator is going away). */
  async stop(): Promise<void> {
    const workers = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(workers.map((w) => w.destroy(true)));
    await Promise.all([...this.pending]);
    const leftovers = await this.k.docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${LABEL_INSTANCE}=${this.k.instanceLabels[LABEL_INSTANCE]}`] }),
    });
    await Promise.all(
      leftovers.map((c) =>
        this.k.docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
  }
}
