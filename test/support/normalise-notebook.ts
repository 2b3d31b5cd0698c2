/**
 * Turns an executed notebook into a form two executors can be compared on (Berth's runner and
 * nbclient, or nbclient against itself): what a reader of the notebook sees, without what
 * legitimately differs from one run to the next.
 *
 * Kept: each cell's type, source (one string), tags, and for code cells the outputs in order:
 *  - stream: name and text; consecutive streams of the same name are merged into one (a kernel
 *    batches writes by timing, so one client may get "ab" where another gets "a" then "b"), and
 *    empty streams are dropped first (they show nothing and must not keep two streams apart);
 *  - display_data / execute_result: data (keys sorted; text split into lines is joined, JSON
 *    values are left as they are) and the output's own metadata (e.g. image sizes);
 *  - error: ename, evalue, traceback (one string per entry).
 * Dropped: execution counts, cell ids, cell metadata other than tags (execution timings,
 * papermill, collapsed...), attachments, notebook metadata, `transient` and any other field.
 * In output text, volatile values become placeholders: memory addresses (0x + at least 8 hex
 * digits), ISO-8601 timestamps and temporary paths (/tmp/…, /var/tmp/…, the OS temp dir).
 * Cells tagged `injected-parameters` are kept like any other cell.
 */

/** One output: the fields of its output_type only (stream: name, text; display_data and execute_result: data, metadata; error: ename, evalue, traceback); an unknown output_type keeps its own fields. */
export interface NormalisedOutput {
  output_type: string;
  name?: string;
  text?: string;
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
  [field: string]: unknown;
}

export interface NormalisedCell {
  cell_type: string;
  source: string;
  tags: string[];
  /** Code cells only. */
  outputs?: NormalisedOutput[];
}

export const PLACEHOLDERS = {
  address: '0x<address>',
  timestamp: '<timestamp>',
  tmpPath: '<tmp>',
} as const;

/** Output fields that never take part in a comparison. */
const DROPPED_OUTPUT_FIELDS = new Set(['execution_count', 'transient']);

/** The comparable form of an executed notebook (see the top of this file); throws if it is not a notebook. */
export function normaliseNotebook(notebook: unknown): NormalisedCell[] {
  if (!isRecord(notebook) || !Array.isArray(notebook['cells'])) {
    throw new Error('not a notebook: expected an object with a "cells" array');
  }
  return notebook['cells'].map((cell, index) => normaliseCell(cell, index));
}

function normaliseCell(cell: unknown, index: number): NormalisedCell {
  if (!isRecord(cell) || typeof cell['cell_type'] !== 'string') throw new Error(`cell ${index} has no cell_type`);
  const cellType = cell['cell_type'];
  const metadata = isRecord(cell['metadata']) ? cell['metadata'] : {};
  const tags = Array.isArray(metadata['tags']) ? metadata['tags'].filter((tag): tag is string => typeof tag === 'string') : [];
  const normalised: NormalisedCell = { cell_type: cellType, source: joinMultiline(cell['source']), tags };
  if (cellType === 'code') {
    const outputs = Array.isArray(cell['outputs']) ? cell['outputs'] : [];
    normalised.outputs = normaliseOutputs(outputs, index);
  }
  return normalised;
}

function normaliseOutputs(outputs: unknown[], cellIndex: number): NormalisedOutput[] {
  const result: NormalisedOutput[] = [];
  let stream: (NormalisedOutput & { name: string; text: string }) | undefined;
  for (const output of outputs) {
    if (!isRecord(output) || typeof output['output_type'] !== 'string') {
      throw new Error(`cell ${cellIndex} has an output without output_type`);
    }
    const outputType = output['output_type'];
    if (outputType === 'stream') {
      const name = String(output['name']);
      const text = joinMultiline(output['text']);
      if (text === '') continue; // shows nothing, and must not keep the streams around it apart
      if (stream && stream.name === name) {
        stream.text += text;
      } else {
        stream = { output_type: 'stream', name, text };
        result.push(stream);
      }
      continue;
    }
    stream = undefined;
    if (outputType === 'display_data' || outputType === 'execute_result') {
      result.push({
        output_type: outputType,
        data: normaliseData(output['data']),
        metadata: isRecord(output['metadata']) ? (sortDeep(scrubDeep(output['metadata'])) as Record<string, unknown>) : {},
      });
    } else if (outputType === 'error') {
      const traceback = Array.isArray(output['traceback']) ? output['traceback'].map((line) => scrub(String(line))) : [];
      result.push({ output_type: 'error', ename: scrub(String(output['ename'])), evalue: scrub(String(output['evalue'])), traceback });
    } else {
      const other: Record<string, unknown> = {};
      for (const key of Object.keys(output).sort()) {
        if (!DROPPED_OUTPUT_FIELDS.has(key)) other[key] = sortDeep(scrubDeep(output[key]));
      }
      result.push({ ...other, output_type: outputType });
    }
  }
  // Streams are scrubbed once merged: a volatile value may span two messages.
  for (const output of result) {
    if (output.output_type === 'stream') output.text = scrub(output.text ?? '');
  }
  return result;
}

/** A mime bundle: keys sorted; text (a string or a list of lines) as one string; JSON kept as data. */
function normaliseData(data: unknown): Record<string, unknown> {
  if (!isRecord(data)) return {};
  const result: Record<string, unknown> = {};
  for (const mime of Object.keys(data).sort()) {
    const value = data[mime];
    if (isJsonMime(mime)) result[mime] = sortDeep(scrubDeep(value));
    else result[mime] = scrub(joinMultiline(value));
  }
  return result;
}

/** application/json and application/<anything>+json carry JSON values, never split lines. */
function isJsonMime(mime: string): boolean {
  return /^application\/(?:[\w.-]+\+)?json$/i.test(mime);
}

function joinMultiline(value: unknown): string {
  if (Array.isArray(value)) return value.map((part) => String(part)).join('');
  if (typeof value === 'string') return value;
  return value === undefined || value === null ? '' : String(value);
}

const ADDRESS = /\b0x[0-9a-fA-F]{8,}\b/g;
const TIMESTAMP = /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g;
// A path goes on until whitespace, a quote, a bracket, a separator or a control character (ANSI colours).
const PATH_TAIL = String.raw`[^\s'"\x60<>()[\]{},;:\x00-\x1f\x7f]*`;
const TMP_PATH = new RegExp(`(?<![\\w.~-])(?:${tmpRoots().map(escapeRegExp).join('|')})(?![\\w.-])(?:/${PATH_TAIL})?`, 'g');

/** Volatile parts of one string replaced by placeholders. */
export function scrub(text: string): string {
  return text.replace(ADDRESS, PLACEHOLDERS.address).replace(TIMESTAMP, PLACEHOLDERS.timestamp).replace(TMP_PATH, PLACEHOLDERS.tmpPath);
}

function tmpRoots(): string[] {
  const roots = new Set(['/tmp', '/var/tmp']);
  const fromEnv = process.env['TMPDIR'];
  if (fromEnv && fromEnv.startsWith('/') && fromEnv.length > 1) roots.add(fromEnv.replace(/\/+$/, ''));
  // Longest first, so /tmp/custom-tmpdir wins over /tmp.
  return [...roots].sort((a, b) => b.length - a.length);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function scrubDeep(value: unknown): unknown {
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map(scrubDeep);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, scrubDeep(inner)]));
  return value;
}

/** Object keys in sorted order at every depth (arrays keep their order), so diffs line up. */
function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (isRecord(value)) {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortDeep(value[key]);
    return sorted;
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
