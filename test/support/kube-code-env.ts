// Kubernetes exec configs on the test emulator (test/support/kube-emulator) and code env images
// named in their registry. Nothing is pushed: the emulator's kubelet finds a pod's image on the
// local Docker daemon, so naming the built image in the exec config's registry with a local tag is
// what `berth images build-code-env --push` does for a real cluster. Test tags are removed after.
import { rmSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { nameInRegistry, splitRef } from '../../gateway/src/images/image-names';
import { buildCodeEnvImage, makeConfigDir } from './docker-code-env';
import type { KubeEmulator } from './kube-emulator';
import { removeImageNames } from './test-images';

export interface KubeExecConfigOptions {
  /** The base image its code envs are built on (on the local daemon). */
  readonly baseImage: string;
  readonly namespace: string;
  /** A registry name only the test uses: nothing is pulled from it. */
  readonly registry: string;
  /** The exec config's `resources` (cpus, memory as "256m"). */
  readonly resources?: Readonly<Record<string, unknown>>;
  /** More of its `kubernetes:` block (labels, requests, pullPolicy …). */
  readonly kubernetes?: Readonly<Record<string, unknown>>;
}

/** A Kubernetes exec config (its YAML as an object) whose kernels run on the emulator `kube`. */
export function kubeExecConfig(kube: KubeEmulator, options: KubeExecConfigOptions): Record<string, unknown> {
  return {
    backend: 'kubernetes',
    baseImage: options.baseImage,
    ...(options.resources === undefined ? {} : { resources: options.resources }),
    kubernetes: {
      kubeconfig: kube.kubeconfigPath,
      context: kube.context,
      namespace: options.namespace,
      registry: options.registry,
      ...options.kubernetes,
    },
  };
}

/** Names the local image `ref` in `registry` (as the cluster pulls it) and resolves with that name. */
export async function tagIntoRegistry(docker: Dockerode, registry: string, ref: string): Promise<string> {
  const name = nameInRegistry(registry, ref);
  await docker.getImage(ref).tag(splitRef(name));
  return name;
}

/** Removes every name in `registry` of a code env's images (those a test added, a crashed run's too). */
export async function removeRegistryNames(docker: Dockerode, registry: string, codeEnv: string): Promise<void> {
  const images = await docker.listImages({ filters: JSON.stringify({ label: [`berth.io/code-env=${codeEnv}`] }) });
  const prefix = `${registry.replace(/\/+$/, '')}/`;
  await removeImageNames(docker, ...images.flatMap((image) => (image.RepoTags ?? []).filter((tag) => tag.startsWith(prefix))));
}

export interface KubeCodeEnvOptions extends KubeExecConfigOptions {
  /** The code env's id (start it with berth-test-), language and Debian packages. */
  readonly codeEnv: string;
  readonly language: 'python' | 'r';
  readonly apt?: readonly string[];
  /** The Kubernetes exec config's id. */
  readonly execConfig: string;
}

export interface KubeCodeEnv {
  /** The config directory (the caller removes it). */
  readonly configDir: string;
  /** The code env's image as the exec config's registry names it (the caller removes the name). */
  readonly image: string;
}

/**
 * Writes a config directory with one Kubernetes exec config on `kube` and one code env available
 * for it, builds the code env's image through the CLI and names it in the exec config's registry.
 * Its kernelspec is `<code-env>--<exec-config>`. No directory is left when the build fails.
 */
export async function makeKubeCodeEnv(docker: Dockerode, kube: KubeEmulator, options: KubeCodeEnvOptions): Promise<KubeCodeEnv> {
  const configDir = makeConfigDir(options.codeEnv, {
    execConfigs: { [options.execConfig]: kubeExecConfig(kube, options) },
    codeEnvs: {
      [options.codeEnv]: { language: options.language, packages: { apt: [...(options.apt ?? [])] }, availableFor: [options.execConfig] },
    },
  });
  try {
    const ref = await buildCodeEnvImage(configDir, options.codeEnv, options.execConfig);
    return { configDir, image: await tagIntoRegistry(docker, options.registry, ref) };
  } catch (err) {
    rmSync(configDir, { recursive: true, force: true });
    throw err;
  }
}
