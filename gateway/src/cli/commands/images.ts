import { Command, Option } from 'commander';
import { BackendUnavailableError } from '../../common/errors';
import { DEFAULT_CUDA_VERSION } from '../../images/dockerfile';
import { DEFAULT_DOCKER_HOST } from '../../images/docker-host';
import { unreachableCode } from '../../images/docker-stream';
import type { BuildBaseFlags, CodeEnvFlags } from './images-actions';

/** The implementations, loaded on use: dockerode and the builder take a while to load, `berth --help` need not wait. */
const actions = () => import('./images-actions');

/** Rewrites an unreachable-daemon error so it says what to run. */
function withDaemonHint<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw error;
      const code = unreachableCode(error);
      if (code !== undefined) {
        throw new BackendUnavailableError(
          `Docker daemon unreachable (${code} at ${(error as { address?: string }).address ?? 'its address'}): start it, or fix the address (the exec config's docker.daemons[].host, or --docker-host)`,
          { cause: error },
        );
      }
      throw error;
    }
  };
}

/** `berth images`: builds and lists Berth's base and code-env images. */
export function imagesCommand(): Command {
  const command = new Command('images').description('Build and list the base and code-env images of container exec configs');
  const configDirOption = (): Option =>
    new Option('--config-dir <dir>', 'configuration directory (berth.yaml, execution-configs/, code-envs/)').makeOptionMandatory();
  command
    .command('build-base')
    .description('Build a base image: OS + Python + ipykernel (+ R and IRkernel), tini, a non-root user and the kernel entrypoint')
    .addOption(new Option('--type <type>', 'image type').choices(['container-exec']).default('container-exec'))
    .addOption(new Option('--with-r', 'add R and IRkernel'))
    .addOption(new Option('--without-r', 'no R (the default)'))
    .addOption(new Option('--with-cuda', 'start from the NVIDIA CUDA runtime + cuDNN image'))
    .addOption(new Option('--cuda-version <x.y>', `CUDA version (default ${DEFAULT_CUDA_VERSION}); with --with-cuda`))
    .addOption(new Option('--from <image>', 'parent image instead of the default (OS image, or the CUDA image of the version)'))
    .addOption(new Option('--tag <tag>', 'name for the finished image (default berth/base[-r]:latest, berth/cuda[-r]:latest)'))
    .addOption(new Option('--docker-host <address>', 'Docker daemon to build on').default(DEFAULT_DOCKER_HOST))
    .addOption(new Option('--force', 'build even when an identical image exists'))
    .addOption(new Option('--push', 'push the tag afterwards (it must name a registry, e.g. 127.0.0.1:5000/berth/base:latest)'))
    .action(withDaemonHint(async (flags: BuildBaseFlags) => (await actions()).buildBase(flags)));
  command
    .command('build-code-env')
    .description(
      "Build a code env's image on the base image of each container exec config it is available for (--all: every code env, after bringing the bases Berth built up to date)",
    )
    .argument('[id]', 'code env id')
    .addOption(new Option('--all', 'every code env; stale bases built by `build-base` are rebuilt first'))
    .addOption(new Option('--exec-config <id>', 'only for this exec config'))
    .addOption(new Option('--force', 'build even when an up-to-date image exists'))
    .addOption(new Option('--push', "push each image to its exec config's registry (credentials from the Docker config file)"))
    .addOption(configDirOption())
    .action(withDaemonHint(async (id: string | undefined, flags: CodeEnvFlags) => (await actions()).buildCodeEnvs(id, flags)));
  command
    .command('list')
    .description('Base images and every code env × container exec config image with its state: up to date, stale (and why) or missing')
    .addOption(configDirOption())
    .addOption(new Option('--json', 'print the listing as JSON'))
    .action(withDaemonHint(async (flags: { configDir: string; json?: boolean }) => (await actions()).printListing(flags)));
  return command;
}
