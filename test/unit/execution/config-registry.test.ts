import { codeEnvSchema } from '../../../gateway/src/execution/code-env';
import { ConfigRegistry } from '../../../gateway/src/execution/config-registry';
import { execConfigSchema, type ExecConfig } from '../../../gateway/src/execution/execution-config';
import { ConfigObjects } from '../../../gateway/src/store/config-objects';
import { openMemoryDatabase } from '../../../gateway/src/store/database';

function registry(): ConfigRegistry {
  return new ConfigRegistry(new ConfigObjects(openMemoryDatabase()), {
    kernelspecNames: () => new Set(['python3', 'ir']),
    gatewayReferences: new Map([['docker-default', 'defaultExecutionConfig']]),
  });
}

const docker = (id: string): ExecConfig => execConfigSchema.parse({ id, backend: 'docker', baseImage: 'berth/base-py:latest' });

describe('ConfigRegistry', () => {
  it('always has the built-in local exec config', () => {
    expect(
      registry()
        .execConfigs()
        .map((c) => c.id),
    ).toEqual(['local']);
  });

  it('reseeds from the directory: files win, removed files go, API objects stay', () => {
    const reg = registry();
    reg.seedFrom({ dir: 'd', gateway: {} as never, execConfigs: [docker('a'), docker('b')], codeEnvs: [] });
    reg.createExecConfig({ id: 'api-made', backend: 'local' });
    reg.updateExecConfig('a', { ...docker('a'), displayName: 'edited' });
    reg.seedFrom({
      dir: 'd',
      gateway: {} as never,
      execConfigs: [docker('a')],
      codeEnvs: [codeEnvSchema.parse({ id: 'py', language: 'python' })],
    });
    expect(reg.execConfigs().map((c) => c.id)).toEqual(['a', 'api-made', 'local']);
    expect(reg.getExecConfig('a').displayName).toBeUndefined();
    expect(reg.codeEnvs().map((c) => c.id)).toEqual(['py']);
  });

  it('refuses to delete an exec config the gateway settings name', () => {
    const reg = registry();
    reg.createExecConfig({ id: 'docker-default', backend: 'docker', baseImage: 'b' });
    expect(() => reg.deleteExecConfig('docker-default')).toThrow(/defaultExecutionConfig/);
  });

  it('refuses only problems a write introduces', () => {
    const reg = registry();
    expect(() => reg.createCodeEnv({ id: 'jl', language: 'julia' })).toThrow(/language/);
    reg.createExecConfig({ id: 'gpu', backend: 'docker', baseImage: 'b', cudaVersion: '12.4', resources: { gpus: 1 } });
    expect(() => reg.updateExecConfig('gpu', { backend: 'docker', baseImage: 'b', resources: { gpus: 1 } })).toThrow(/not a CUDA image/);
  });
});
