// What the browser tests run against: two Docker exec configs (host network, the local daemon)
// that differ in their limits, one Python code env available on both, and the notebook the
// tests open.

export const BASE_IMAGE = 'berth-test/labext-e2e-base:latest';
export const CODE_ENV = 'berth-test-lab-py';
export const SMALL = 'berth-test-lab-small';
export const LARGE = 'berth-test-lab-large';
/** The small exec config's memory limit in bytes, as the kernel's cgroup reports it. */
export const SMALL_MEMORY_BYTES = 512 * 1024 * 1024;

export function pairName(codeEnv, execConfig) {
  return `${codeEnv}--${execConfig}`;
}

function dockerExecConfig(resources) {
  return {
    backend: 'docker',
    baseImage: BASE_IMAGE,
    resources,
    docker: { network: 'host', daemons: [{ host: 'unix:///var/run/docker.sock' }] },
  };
}

/** The configuration directory's objects (support/berth.mjs writeConfigDir). */
export const CONFIG = {
  execConfigs: {
    [SMALL]: dockerExecConfig({ cpus: 1, memory: '512m' }),
    [LARGE]: dockerExecConfig({ cpus: 2, memory: '1g' }),
  },
  codeEnvs: {
    [CODE_ENV]: { language: 'python', availableFor: [SMALL, LARGE] },
  },
};

/** Python that prints where it runs: the cgroup memory limit (v2 or v1) and the Docker container id of its mounts. */
export const WHERE_AM_I = [
  'import os, re',
  'def memory_limit():',
  '    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):',
  '        if os.path.exists(path):',
  '            return open(path).read().strip()',
  '    return "unknown"',
  'container = re.search(r"/containers/([0-9a-f]{64})/", open("/proc/self/mountinfo").read())',
  'print("memory limit:", memory_limit())',
  'print("container:", container.group(1)[:12] if container else "none")',
].join('\n');

export const GREETING_CELL = 'print(" ".join([greeting] * repeat))';

function cell(id, source, tags = []) {
  return { cell_type: 'code', id, metadata: tags.length > 0 ? { tags } : {}, source, outputs: [], execution_count: null };
}

/** A Python notebook on the plain python3 kernel: parameters (greeting, repeat), where-am-I, the greeting. */
export function testNotebook() {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' },
      language_info: { name: 'python' },
    },
    cells: [
      cell('parameters', 'greeting = "hello"\nrepeat = 2', ['parameters']),
      cell('where-am-i', WHERE_AM_I),
      cell('greeting', GREETING_CELL),
    ],
  };
}
