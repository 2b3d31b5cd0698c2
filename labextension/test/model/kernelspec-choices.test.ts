import {
  executionChoices,
  findPair,
  pairByDisplayName,
  pairByKernelName,
  pairFromSpec,
  pairKernelName,
} from '../../src/model/kernelspec-choices';
import { EXAMPLE_SPECS } from '../support/specs';

describe('kernelspecs → code env and exec config choices', () => {
  const choices = executionChoices(EXAMPLE_SPECS);

  it('keeps only the pairs (metadata.berth), sorted by name', () => {
    expect(choices.pairs.map((pair) => pair.name)).toEqual([
      'pandas--docker-large',
      'pandas--docker-small',
      'r-tables--docker-large',
      'torch--gpu',
    ]);
  });

  it('lists code envs with the exec configs each pairs with', () => {
    expect(choices.codeEnvs).toEqual([
      { id: 'pandas', language: 'python', execConfigs: ['docker-large', 'docker-small'] },
      { id: 'r-tables', language: 'R', execConfigs: ['docker-large'] },
      { id: 'torch', language: 'python', execConfigs: ['gpu'] },
    ]);
  });

  it('lists exec configs with backend, CPU, memory and GPU', () => {
    expect(choices.execConfigs.map((config) => [config.id, config.summary, config.codeEnvs])).toEqual([
      ['docker-large', 'docker · 8 CPUs · 32 GiB', ['pandas', 'r-tables']],
      ['docker-small', 'docker · 1 CPU · 2 GiB', ['pandas']],
      ['gpu', 'docker · 4 CPUs · 16 GiB · 1 GPU', ['torch']],
    ]);
  });

  it('finds pairs by parts, kernelspec name and display name', () => {
    expect(findPair(choices, 'pandas', 'docker-small')?.name).toBe('pandas--docker-small');
    expect(findPair(choices, 'r-tables', 'docker-small')).toBeUndefined();
    expect(findPair(choices, undefined, 'docker-small')).toBeUndefined();
    expect(pairByKernelName(choices, 'torch--gpu')?.execConfig).toBe('gpu');
    expect(pairByKernelName(choices, 'python3')).toBeUndefined();
    expect(pairByDisplayName(choices, 'R (r-tables) · docker-large')?.codeEnv).toBe('r-tables');
    expect(pairKernelName('pandas', 'docker-small')).toBe('pandas--docker-small');
  });

  it('ignores kernelspecs whose metadata.berth is missing or malformed', () => {
    expect(pairFromSpec({ name: 'x', metadata: { berth: { codeEnv: 'a' } } })).toBeUndefined();
    expect(pairFromSpec({ name: 'x', metadata: { berth: 'pandas' } })).toBeUndefined();
    expect(pairFromSpec({ name: 'x', metadata: null })).toBeUndefined();
    expect(pairFromSpec({ name: 'x' })).toBeUndefined();
    const odd = pairFromSpec({
      name: 'a--b',
      metadata: { berth: { codeEnv: 'a', executionConfig: 'b', resources: { cpus: '2', memory: '4g' } } },
    });
    expect(odd).toMatchObject({ codeEnv: 'a', execConfig: 'b', backend: '', resources: { memory: '4g' }, displayName: 'a--b' });
  });

  it('gives no choices without kernelspecs', () => {
    expect(executionChoices(null).pairs).toEqual([]);
    expect(executionChoices({ kernelspecs: { python3: EXAMPLE_SPECS.kernelspecs['python3'] } }).codeEnvs).toEqual([]);
  });
});
