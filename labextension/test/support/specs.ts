import type { SpecsLike } from '../../src/model/kernelspec-choices';

/** Kernelspecs shaped as Berth publishes them for the example config (see README: Kernelspecs per code env). */
function pair(codeEnv: string, execConfig: string, language: string, resources: Record<string, number>) {
  return {
    name: `${codeEnv}--${execConfig}`,
    display_name: `${language === 'python' ? 'Python' : 'R'} (${codeEnv}) · ${execConfig}`,
    language: language === 'python' ? 'python' : 'R',
    metadata: { berth: { codeEnv, executionConfig: execConfig, backend: 'docker', resources, image: `berth/codeenv-${codeEnv}` } },
  };
}

export const EXAMPLE_SPECS: SpecsLike = {
  default: 'python3',
  kernelspecs: {
    python3: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python', metadata: { debugger: true } },
    ir: { name: 'ir', display_name: 'R', language: 'R', metadata: {} },
    'pandas--docker-large': pair('pandas', 'docker-large', 'python', { cpus: 8, memory: 34359738368, gpus: 0 }),
    'pandas--docker-small': pair('pandas', 'docker-small', 'python', { cpus: 1, memory: 2147483648, gpus: 0 }),
    'r-tables--docker-large': pair('r-tables', 'docker-large', 'r', { cpus: 8, memory: 34359738368, gpus: 0 }),
    'torch--gpu': pair('torch', 'gpu', 'python', { cpus: 4, memory: 17179869184, gpus: 1 }),
  },
};
