import { codeEnvSchema } from '../../../gateway/src/execution/code-env';
import { execConfigSchema, type ContainerExecConfig } from '../../../gateway/src/execution/execution-config';
import { pairKernelspecName } from '../../../gateway/src/execution/kernel-pairs';
import type { ResolvedKernelSpec } from '../../../gateway/src/kernelspecs/kernelspec';
import { codeEnvImageRepository, interruptModeOn, pairDisplayName, pairKernelspec } from '../../../gateway/src/kernelspecs/pair-specs';

const python3: ResolvedKernelSpec = {
  name: 'python3',
  spec: {
    argv: ['/usr/bin/python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
    display_name: 'Python 3 (ipykernel)',
    language: 'python',
    interrupt_mode: 'signal',
    env: { BASE: '1' },
    metadata: { debugger: true },
  },
  resourceDir: '/kernels/python3',
  resourceFiles: ['logo-svg.svg'],
};

const pandas = codeEnvSchema.parse({ id: 'pandas', language: 'python', env: { CODE_ENV: 'pandas' } });
const dockerSmall = execConfigSchema.parse({
  id: 'docker-small',
  backend: 'docker',
  baseImage: 'berth/base-py:latest',
  resources: { cpus: 1, memory: '2g' },
  env: { OMP_NUM_THREADS: '1' },
}) as ContainerExecConfig;

describe('pair kernelspecs', () => {
  it('are named <code-env>--<exec-config>', () => {
    expect(pairKernelspecName('pandas', 'docker-small')).toBe('pandas--docker-small');
  });

  it('have a display name naming language, code env and exec config', () => {
    expect(pairDisplayName(pandas, dockerSmall)).toBe('Python (pandas) · docker-small');
    const r = codeEnvSchema.parse({ id: 'tables', language: 'r' });
    expect(pairDisplayName(r, dockerSmall)).toBe('R (tables) · docker-small');
  });

  it("take argv and resources from the language's base spec and describe the pair in metadata.berth", () => {
    const spec = pairKernelspec(pandas, dockerSmall, python3);
    expect(spec.name).toBe('pandas--docker-small');
    expect(spec.resourceDir).toBe('/kernels/python3');
    expect(spec.resourceFiles).toEqual(['logo-svg.svg']);
    expect(spec.spec).toEqual({
      argv: python3.spec.argv,
      display_name: 'Python (pandas) · docker-small',
      language: 'python',
      interrupt_mode: 'signal',
      env: { BASE: '1', CODE_ENV: 'pandas', OMP_NUM_THREADS: '1' },
      metadata: {
        debugger: true,
        berth: {
          codeEnv: 'pandas',
          executionConfig: 'docker-small',
          backend: 'docker',
          resources: { cpus: 1, memory: 2 * 1024 ** 3, gpus: 0 },
          image: 'berth/codeenv-pandas',
          baseImage: 'berth/base-py:latest',
        },
      },
    });
  });

  it('are interrupted by message in Kubernetes pods, which cannot be signalled, and as the base spec says elsewhere', () => {
    const k8s = execConfigSchema.parse({
      id: 'k8s',
      backend: 'kubernetes',
      baseImage: 'b',
      kubernetes: { registry: 'registry.example.com' },
    }) as ContainerExecConfig;
    expect(pairKernelspec(pandas, k8s, python3).spec.interrupt_mode).toBe('message');
    expect(pairKernelspec(pandas, dockerSmall, python3).spec.interrupt_mode).toBe('signal');
    expect(interruptModeOn(k8s, 'signal')).toBe('message');
    expect(interruptModeOn(dockerSmall, 'message')).toBe('message');
  });

  it("put the exec config's registry in front of the image repository", () => {
    const withRegistry = execConfigSchema.parse({
      id: 'k8s',
      backend: 'kubernetes',
      baseImage: 'b',
      kubernetes: { registry: 'registry.example.com:5000/team/' },
    }) as ContainerExecConfig;
    expect(codeEnvImageRepository(pandas, withRegistry)).toBe('registry.example.com:5000/team/berth/codeenv-pandas');
  });
});
