import type { BuildResult } from './image-builder';
import type { DockerDaemon } from './docker-client';
import { pushImage } from './registry-push';

/**
 * A build as a list of image jobs run one after another, reported as events. The CLI draws the
 * events on the terminal and the REST API streams them as JSON lines, so both show the same
 * progress: image i/N, step i/N with the current line, the result, the push.
 */

export type ImageEvent =
  | {
      readonly type: 'image';
      readonly index: number;
      readonly total: number;
      readonly label: string;
      readonly parent: string;
      readonly daemon: string;
    }
  | { readonly type: 'step'; readonly label: string; readonly step: number; readonly total: number; readonly line: string }
  | {
      readonly type: 'built';
      readonly label: string;
      readonly ref: string;
      readonly id: string;
      readonly skipped: boolean;
      readonly ms: number;
    }
  | { readonly type: 'push'; readonly label: string; readonly line: string }
  | { readonly type: 'pushed'; readonly label: string; readonly ref: string; readonly digest: string }
  | {
      readonly type: 'done';
      readonly built: number;
      readonly skipped: number;
      readonly pushed: number;
      readonly images: readonly string[];
    };

export type ImageEventSink = (event: ImageEvent) => void;

export interface ImageJob {
  /** How the image is named in progress, e.g. "base", "r", "pandas@docker-small". */
  readonly label: string;
  /** The parent image, for the "image i/N" line (a job may only know its ref once the one before ran). */
  readonly parent: () => string;
  readonly daemon: DockerDaemon;
  readonly build: (onProgress: (progress: { step: number; total: number; line: string }) => void) => Promise<BuildResult>;
  /** Push afterwards: which local name, to which registry (a name that already starts with the registry is pushed as is). */
  readonly pushTo?: (result: BuildResult) => {
    readonly ref: string;
    readonly registry: string;
    /** Local images pushed after it to the same registry (a code env's base, whose id its tag hashes). */
    readonly alongside?: readonly string[];
  };
}

export interface JobsSummary {
  readonly built: number;
  readonly skipped: number;
  readonly pushed: number;
  readonly results: readonly BuildResult[];
}

/** Runs `jobs` in order; the first failure stops the run and rejects with its error. */
export async function runImageJobs(
  jobs: readonly ImageJob[],
  onEvent: ImageEventSink,
  options: { dockerConfigDir?: string } = {},
): Promise<JobsSummary> {
  const results: BuildResult[] = [];
  let pushed = 0;
  for (const [index, job] of jobs.entries()) {
    onEvent({ type: 'image', index: index + 1, total: jobs.length, label: job.label, parent: job.parent(), daemon: job.daemon.host });
    const result = await job.build(({ step, total, line }) => onEvent({ type: 'step', label: job.label, step, total, line }));
    results.push(result);
    onEvent({ type: 'built', label: job.label, ref: result.ref, id: result.id, skipped: result.skipped, ms: result.ms });
    if (job.pushTo !== undefined) {
      const { ref, registry, alongside = [] } = job.pushTo(result);
      for (const image of [ref, ...alongside]) {
        const done = await pushImage(job.daemon.docker, image, registry, {
          daemon: job.daemon.host,
          onProgress: (line) => onEvent({ type: 'push', label: job.label, line }),
          ...(options.dockerConfigDir === undefined ? {} : { dockerConfigDir: options.dockerConfigDir }),
        });
        pushed += 1;
        onEvent({ type: 'pushed', label: job.label, ref: done.pushedRef, digest: done.digest });
      }
    }
  }
  const built = results.filter((r) => !r.skipped).length;
  const summary = { built, skipped: results.length - built, pushed, results };
  onEvent({ type: 'done', built, skipped: summary.skipped, pushed, images: results.map((r) => r.ref) });
  return summary;
}
