import type { V1ContainerState, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { clause, describePodState, launchProgress, podExit } from '../../../gateway/src/provisioners/kubernetes/pod-status';

const IMAGE = 'registry.example.com/berth/codeenv-ml:0123456789ab';

/** A kernel pod as a watch delivers it, at some point of its life. */
function pod(options: {
  phase?: string;
  nodeName?: string;
  conditions?: V1PodCondition[];
  state?: V1ContainerState;
  podIP?: string;
  reason?: string;
  message?: string;
}): V1Pod {
  return {
    metadata: { name: 'berth-kernel-1234abcd-x', uid: 'u1', resourceVersion: '7' },
    spec: {
      ...(options.nodeName === undefined ? {} : { nodeName: options.nodeName }),
      containers: [{ name: 'kernel', image: IMAGE, resources: { limits: { memory: '256Mi' } } }],
    },
    status: {
      phase: options.phase ?? 'Pending',
      ...(options.conditions === undefined ? {} : { conditions: options.conditions }),
      ...(options.podIP === undefined ? {} : { podIP: options.podIP }),
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      ...(options.message === undefined ? {} : { message: options.message }),
      ...(options.state === undefined
        ? {}
        : { containerStatuses: [{ name: 'kernel', image: IMAGE, imageID: '', ready: false, restartCount: 0, state: options.state }] }),
    },
  };
}

test('a start goes scheduling → starting-container → running at the pod IP', () => {
  expect(launchProgress(pod({}))).toEqual({ state: 'pending', stage: 'scheduling' });
  const bound = pod({ nodeName: 'n1', state: { waiting: { reason: 'ContainerCreating' } } });
  expect(launchProgress(bound)).toEqual({ state: 'pending', stage: 'starting-container' });
  // Volumes not mounted yet (the Secret comes right after the pod): still starting, not a failure.
  const mounting = pod({ nodeName: 'n1', podIP: '10.1.2.3', state: { waiting: { reason: 'ContainerCreating' } } });
  expect(launchProgress(mounting)).toEqual({ state: 'pending', stage: 'starting-container' });
  const running = pod({ phase: 'Running', nodeName: 'n1', podIP: '10.1.2.3', state: { running: { startedAt: new Date() } } });
  expect(launchProgress(running)).toEqual({ state: 'running', podIP: '10.1.2.3' });
  expect(podExit(running)).toBeUndefined();
});

test("the scheduler's Unschedulable and the kubelet's image and configuration errors fail the start with their message", () => {
  const unschedulable = pod({
    conditions: [
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' },
    ],
  });
  expect(launchProgress(unschedulable)).toEqual({
    state: 'failed',
    failure: { kind: 'unschedulable', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' },
  });
  for (const reason of ['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']) {
    const waiting = pod({ nodeName: 'n1', state: { waiting: { reason, message: 'pull access denied' } } });
    expect(launchProgress(waiting)).toEqual({
      state: 'failed',
      failure: { kind: 'image', reason, message: 'pull access denied', image: IMAGE },
    });
  }
  const config = pod({
    nodeName: 'n1',
    state: { waiting: { reason: 'CreateContainerConfigError', message: 'container has runAsNonRoot and image will run as root' } },
  });
  expect(launchProgress(config)).toMatchObject({
    state: 'failed',
    failure: { kind: 'container-config', reason: 'CreateContainerConfigError' },
  });
  // A pending pod whose scheduling is merely under way is not a failure.
  const scheduling = pod({ conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] });
  expect(launchProgress(scheduling)).toEqual({ state: 'pending', stage: 'scheduling' });
});

test('a container that ends says how: exit code and log tail, OOMKilled not restartable, an evicted pod', () => {
  const crashed = pod({
    phase: 'Failed',
    nodeName: 'n1',
    state: { terminated: { exitCode: 64, reason: 'Error', message: 'R is not installed\n' } },
  });
  expect(launchProgress(crashed)).toEqual({
    state: 'failed',
    failure: {
      kind: 'terminated',
      reason: 'Error',
      message: 'R is not installed\n',
      exit: { code: 64, signal: null, reason: 'exited with code 64' },
    },
  });
  const oom = pod({ phase: 'Failed', nodeName: 'n1', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } });
  expect(podExit(oom)).toEqual({
    code: 137,
    signal: 'SIGKILL',
    reason: 'was OOMKilled: it used more memory than its limit (256Mi)',
    restartable: false,
  });
  const done = pod({ phase: 'Succeeded', nodeName: 'n1', state: { terminated: { exitCode: 0, reason: 'Completed' } } });
  expect(podExit(done)).toEqual({ code: 0, signal: null, reason: 'exited with code 0' });
  const evicted = pod({ phase: 'Failed', nodeName: 'n1', reason: 'Evicted', message: 'The node was low on resource: memory.' });
  expect(podExit(evicted)).toEqual({ code: null, signal: null, reason: 'pod failed (Evicted: The node was low on resource: memory.)' });
});

test('a start that takes too long is described by where the pod is', () => {
  const unscheduled = pod({ conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'gated.' }] });
  expect(describePodState(unscheduled)).toBe('Pending: not scheduled yet (gated)');
  expect(describePodState(pod({}))).toBe('Pending: not scheduled yet');
  expect(describePodState(pod({ nodeName: 'n1' }))).toBe('Pending: on node n1, its container not created yet');
  const mounting = pod({ nodeName: 'n1', state: { waiting: { reason: 'ContainerCreating' } } });
  expect(describePodState(mounting)).toBe('Pending: its container is waiting (ContainerCreating)');
  expect(clause(' 0/1 nodes are available.. ')).toBe('0/1 nodes are available');
});
