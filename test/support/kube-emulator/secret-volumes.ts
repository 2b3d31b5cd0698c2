// The kubelet's volume step: each secret volume becomes a host directory holding the secret's keys
// (all, or `items` under their paths) as files with defaultMode / item mode, bind-mounted read-only
// at the mountPath; each emptyDir an empty writable directory. A missing secret or key fails the
// mount with the kubelet's FailedMount message (the kubelet retries it). With a pod fsGroup, the
// volumes belong to that group (setgid directories, secret files at least group-readable), as the
// kubelet's SetVolumeOwnership leaves them.
import { chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Store } from './store';
import type { Pod, Secret } from './types';

export class MountError extends Error {}

/** Host directories of the pod's volumes, by volume name. */
export type VolumeDirs = Map<string, string>;

export function podVolumesDir(root: string, pod: Pod): string {
  return join(root, pod.metadata.uid ?? 'unknown');
}

export async function mountVolumes(store: Store, root: string, pod: Pod): Promise<VolumeDirs> {
  const dirs: VolumeDirs = new Map();
  const fsGroup = pod.spec.securityContext?.fsGroup;
  const own = async (path: string, mode: number): Promise<void> => {
    if (fsGroup !== undefined) await chown(path, 0, fsGroup);
    await chmod(path, mode);
  };
  for (const volume of pod.spec.volumes ?? []) {
    const dir = join(podVolumesDir(root, pod), 'volumes', volume.name);
    if (volume.emptyDir !== undefined) {
      await mkdir(dir, { recursive: true });
      await own(dir, fsGroup === undefined ? 0o777 : 0o2777);
    } else if (volume.secret !== undefined) {
      const { secretName = '', items, defaultMode = 0o644, optional = false } = volume.secret;
      const failed = (why: string): MountError => new MountError(`MountVolume.SetUp failed for volume "${volume.name}" : ${why}`);
      const secret = store.get('secrets', pod.metadata.namespace, secretName) as Secret | undefined;
      if (secret === undefined && !optional) throw failed(`secret "${secretName}" not found`);
      const data = secret?.data ?? {};
      const files = items ?? Object.keys(data).map((key) => ({ key, path: key, mode: undefined as number | undefined }));
      for (const item of files) {
        if (data[item.key] === undefined && !optional) throw failed(`references non-existent secret key: ${item.key}`);
      }
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const dirMode = fsGroup === undefined ? 0o755 : 0o2755;
      await own(dir, dirMode);
      for (const item of files) {
        if (data[item.key] === undefined) continue;
        const file = join(dir, item.path);
        for (let parent = dirname(file); parent !== dir; parent = dirname(parent)) {
          await mkdir(parent, { recursive: true });
          await own(parent, dirMode);
        }
        await writeFile(file, Buffer.from(data[item.key], 'base64'));
        const mode = item.mode ?? defaultMode;
        await own(file, fsGroup === undefined ? mode : mode | 0o440);
      }
    } else continue;
    dirs.set(volume.name, dir);
  }
  return dirs;
}
