// The garbage collector's background cascading deletion: an object whose ownerReferences all name
// objects that no longer exist (the owner was deleted, or never existed) is deleted through the
// API, as the real GC does for a Secret owned by a deleted Pod.
import type { Rest } from './rest';
import { ApiError } from './status';
import type { KubeObject } from './types';

export function startGarbageCollector(rest: Rest): () => void {
  const { store } = rest;
  const orphaned = (object: KubeObject): boolean => {
    const refs = object.metadata.ownerReferences ?? [];
    return refs.length > 0 && refs.every((ref) => store.byUid(ref.uid) === undefined);
  };
  const collect = (resource: string, object: KubeObject): void => {
    try {
      rest.delete(resource, object.metadata.namespace, object.metadata.name ?? '', { propagationPolicy: 'Background' });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
  };
  return store.onChange((change) => {
    if (change.type === 'DELETED') {
      const uid = change.object.metadata.uid;
      for (const resource of rest.resources) {
        for (const object of store.list(resource)) {
          if (object.metadata.ownerReferences?.some((ref) => ref.uid === uid) && orphaned(object)) collect(resource, object);
        }
      }
    } else if (change.type === 'ADDED' && orphaned(change.object)) {
      collect(change.resource, change.object);
    }
  });
}
