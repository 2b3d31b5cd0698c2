import { InvalidInputError } from '../../common/errors';
import type { Notebook } from '../notebook';
import type { ParameterLanguage } from './parameter-value';

/**
 * Language: papermill's find_translator(kernel_name, language) with language = language_info.name
 * or kernelspec.language (papermill/utils.py nb_language).
 */

const KERNEL_TRANSLATORS: Record<string, ParameterLanguage> = {
  python: 'python',
  r: 'r',
  pysparkkernel: 'python',
  sparkrkernel: 'r',
};

function stringField(record: unknown, key: string): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const value = (record as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Which language translator a notebook needs, from its kernelspec and language_info metadata. */
export function parameterLanguage(notebook: Notebook): ParameterLanguage {
  const kernelspec = notebook.metadata['kernelspec'];
  const kernelName = stringField(kernelspec, 'name');
  const language = stringField(notebook.metadata['language_info'], 'name') ?? stringField(kernelspec, 'language');
  // papermill looks the kernel name up first, then the language (matched here without regard to case).
  const byKernel = kernelName === undefined ? undefined : KERNEL_TRANSLATORS[kernelName.toLowerCase()];
  if (byKernel) return byKernel;
  if (language !== undefined) {
    const lower = language.toLowerCase();
    if (lower === 'python' || lower === 'r') return lower;
    throw new InvalidInputError(
      `This notebook's language is ${JSON.stringify(language)}; Berth injects parameters into Python and R notebooks only. ` +
        'Run it without -p/-y/-f, or use a Python or R kernel.',
    );
  }
  // No language recorded: fall back on the usual kernel names (papermill would stop here).
  if (kernelName !== undefined && /^python\d*$/i.test(kernelName)) return 'python';
  if (kernelName !== undefined && kernelName.toLowerCase() === 'ir') return 'r';
  throw new InvalidInputError(
    kernelName === undefined
      ? 'This notebook records no language (metadata.language_info.name or metadata.kernelspec); open and save it in Jupyter, or set the kernel, before passing parameters.'
      : `This notebook's kernel ${JSON.stringify(kernelName)} records no language, and Berth injects parameters into Python and R notebooks only; ` +
          'set metadata.kernelspec.language, or run it without -p/-y/-f.',
  );
}
