/**
 * Golden tests for papermill-compatible parameters. Each expectation follows papermill 2.x (nteract/papermill):
 * - parameterLanguage: papermill/utils.py (nb_language, nb_kernel_name) and translators.py find_translator.
 */
import { InvalidInputError } from '../../../../gateway/src/common/errors';
import type { Notebook } from '../../../../gateway/src/runner/notebook';
import { parameterLanguage } from '../../../../gateway/src/runner/parameters/notebook-language';
import { notebook } from '../../../support/notebook-cells';

describe('parameterLanguage', () => {
  const withMetadata = (metadata: Record<string, unknown>): Notebook => notebook([], 5, metadata);

  it('reads language_info.name, then kernelspec.language', () => {
    expect(parameterLanguage(withMetadata({ language_info: { name: 'python' }, kernelspec: { name: 'python3' } }))).toBe('python');
    expect(parameterLanguage(withMetadata({ kernelspec: { name: 'ir', language: 'R' } }))).toBe('r');
    expect(parameterLanguage(withMetadata({ language_info: { name: 'R' } }))).toBe('r');
  });

  it('looks the kernel name up first, as find_translator does', () => {
    expect(parameterLanguage(withMetadata({ kernelspec: { name: 'sparkrkernel', language: 'scala' } }))).toBe('r');
    expect(parameterLanguage(withMetadata({ kernelspec: { name: 'pysparkkernel' } }))).toBe('python');
  });

  it('falls back on kernel names when no language is recorded', () => {
    expect(parameterLanguage(withMetadata({ kernelspec: { name: 'ir' } }))).toBe('r');
    expect(parameterLanguage(withMetadata({ kernelspec: { name: 'python3' } }))).toBe('python');
  });

  it('names the language it cannot translate', () => {
    expect(() => parameterLanguage(withMetadata({ kernelspec: { name: 'julia-1.10', language: 'julia' } }))).toThrow(InvalidInputError);
    expect(() => parameterLanguage(withMetadata({ language_info: { name: 'julia' } }))).toThrow(/language is "julia"/);
    expect(() => parameterLanguage(withMetadata({ kernelspec: { name: 'bash' } }))).toThrow(/kernel "bash" records no language/);
    expect(() => parameterLanguage(withMetadata({}))).toThrow(/records no language/);
  });
});
