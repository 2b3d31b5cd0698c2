import type { KernelLanguage } from './kernel-files';
import { executeUntilStopped } from './execute-until-stopped';
import type { RunJob } from './run-job';

/** The language a recipe's file name says. */
export function recipeLanguage(scriptName: string): KernelLanguage {
  return scriptName.toLowerCase().endsWith('.r') ? 'r' : 'python';
}

/** The file the script is staged as, in the working directory. */
export function recipeFileName(scriptName: string): string {
  return scriptName.split(/[\\/]/).pop()!;
}

const literal = (value: string): string => JSON.stringify(value);

/**
 * Kernel code that runs the staged script as a program: Python as `__main__` with sys.argv, R in
 * its own environment with commandArgs(); exit statuses (sys.exit, quit(status =)) become an
 * error the gateway reads back, and the kernel survives them.
 */
export function recipeCode(language: KernelLanguage, file: string, args: readonly string[]): string {
  if (language === 'python') {
    // Not SystemExit itself: IPython answers that with a warning about how to leave the shell.
    return `def _berth_recipe(path, args):
    import runpy, sys
    class RecipeExit(Exception):
        pass
    saved = sys.argv
    sys.argv = [path] + list(args)
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exit:
        code = exit.code
        if code is None or code == 0:
            return
        if not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        raise RecipeExit(code) from None
    finally:
        sys.argv = saved
try:
    _berth_recipe(${literal(file)}, ${JSON.stringify(args)})
finally:
    del _berth_recipe`;
  }
  const rArgs = `c(${args.map(literal).join(', ')})`;
  return `local({
  args <- as.character(${rArgs})
  env <- new.env(parent = globalenv())
  exit <- function(save = "default", status = 0, runLast = TRUE) {
    stop(structure(class = c("berth_exit", "condition"), list(message = "", call = NULL, status = status)))
  }
  env$quit <- exit
  env$q <- exit
  env$commandArgs <- function(trailingOnly = FALSE) if (trailingOnly) args else c("R", paste0("--file=", ${literal(file)}), "--args", args)
  status <- tryCatch({ source(${literal(file)}, local = env); 0L }, berth_exit = function(e) as.integer(e$status))
  if (!identical(status, 0L)) stop(sprintf("the recipe exited with status %d", status), call. = FALSE)
})`;
}

/** The exit status a finished recipe execution stands for. */
export function exitStatus(language: KernelLanguage, reply: { status: string; ename?: string; evalue?: string }): number {
  if (reply.status === 'ok') return 0;
  return explicitExit(language, reply) ?? 1;
}

/** The status a script asked to exit with (sys.exit, quit(status =)), or undefined when it failed otherwise. */
function explicitExit(language: KernelLanguage, reply: { ename?: string; evalue?: string }): number | undefined {
  if (language === 'python') return reply.ename === 'RecipeExit' ? Number.parseInt(reply.evalue ?? '', 10) || 1 : undefined;
  const match = /the recipe exited with status (\d+)/.exec(reply.evalue ?? '');
  return match ? Number(match[1]) : undefined;
}

/** A recipe run: the script runs once, its stdout and stderr are the run's log, its exit status decides. */
export const recipeJob: RunJob = async (context) => {
  if (context.request.kind !== 'recipe') throw new Error('recipeJob needs a recipe run');
  const { scriptName, args } = context.request;
  const language = recipeLanguage(scriptName);
  const errors: string[] = [];
  const result = await executeUntilStopped(context, recipeCode(language, recipeFileName(scriptName), args), (message) => {
    if (message.header.msg_type === 'error') errors.push(...((message.content['traceback'] as string[] | undefined) ?? []));
  });
  if ('stop' in result) return { stop: result.stop, failure: { message: result.stop.message } };
  const { reply } = result;
  const code = exitStatus(language, reply);
  if (code === 0) return {};
  // A script that chose its exit status failed on purpose: no traceback, no error name.
  const chosen = explicitExit(language, reply) !== undefined;
  const traceback = errors.length > 0 ? errors : (reply.traceback ?? []);
  if (traceback.length > 0 && !chosen) context.output('stderr', `${traceback.join('\n')}\n`);
  return {
    failure: {
      message: `${scriptName} exited with status ${code}${reply.ename && !chosen ? ` (${reply.ename}: ${(reply.evalue ?? '').trim()})` : ''}`,
      exitCode: code,
      ...(reply.ename && !chosen ? { ename: reply.ename, evalue: reply.evalue ?? '', traceback } : {}),
    },
  };
};
