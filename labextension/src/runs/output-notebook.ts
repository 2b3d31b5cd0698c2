import type { BerthClient } from '../api/berth-client';
import type { RunRecord } from '../model/runs';

/**
 * Brings a run's output notebook into the Jupyter server's contents (where JupyterLab can open
 * it): downloaded from Berth's artifacts, saved under berth-runs/ next to nothing else.
 */

export const OUTPUT_ARTIFACT = 'output.ipynb';
export const OUTPUT_FOLDER = 'berth-runs';

/** The parts of JupyterLab's Contents.IManager this uses. */
export interface ContentsLike {
  save(path: string, options: { type: 'directory' | 'notebook'; format?: 'json'; content?: unknown }): Promise<{ path: string }>;
}

/** "berth-runs/report-r1a2b3.ipynb" for a run of report.ipynb with id r1a2b3. */
export function outputPath(run: RunRecord): string {
  const stem = run.name.replace(/\.ipynb$/i, '').replace(/[^\w.-]+/g, '_') || 'run';
  return `${OUTPUT_FOLDER}/${stem}-${run.id}.ipynb`;
}

/** Saves the output notebook and returns its path; rejects with a message people can act on. */
export async function saveRunOutput(client: BerthClient, contents: ContentsLike, run: RunRecord): Promise<string> {
  const artifacts = await client.artifacts(run.id);
  if (!artifacts.some((artifact) => artifact.path === OUTPUT_ARTIFACT)) {
    throw new Error(`Run ${run.id} (${run.status}) has no output notebook yet.`);
  }
  const notebook = JSON.parse(await client.artifactText(run.id, OUTPUT_ARTIFACT)) as unknown;
  await contents.save(OUTPUT_FOLDER, { type: 'directory' });
  const path = outputPath(run);
  await contents.save(path, { type: 'notebook', format: 'json', content: notebook });
  return path;
}
