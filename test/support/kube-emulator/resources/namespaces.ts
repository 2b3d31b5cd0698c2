// Namespaces: create, get, list, watch, delete. Deleting one marks it Terminating (new content is
// refused); the namespace controller then deletes what it holds (pods gracefully) and removes the
// namespace once its last pod is gone.
import { ApiError, errors } from '../status';
import type { ResourceHandler, Rest } from '../rest';
import { rfc3339 } from '../meta';
import { dns1123Label, validateObjectMeta } from '../validation';
import type { KubeObject } from '../types';

export const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const UNDELETABLE = new Set(['default', 'kube-system', 'kube-public']);
const CONTENT = ['pods', 'secrets', 'resourcequotas', 'events'];

export function namespacesHandler(rest: Rest): ResourceHandler {
  return {
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    verbs: new Set(['create', 'get', 'list', 'watch', 'delete']),
    fields: { 'status.phase': (o) => String((o.status as { phase?: string } | undefined)?.phase ?? '') },
    prepare(object: KubeObject): KubeObject {
      const errs = validateObjectMeta(object.metadata, dns1123Label);
      if (errs.length > 0) throw errors.invalid('Namespace', object.metadata.name ?? '', errs);
      const name = object.metadata.name ?? '';
      object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': name };
      object.spec = { finalizers: ['kubernetes'] };
      object.status = { phase: 'Active' };
      return object;
    },
    delete(object: KubeObject): KubeObject {
      const name = object.metadata.name ?? '';
      if (UNDELETABLE.has(name)) throw errors.forbidden('namespaces', name, 'this namespace may not be deleted');
      if (object.metadata.deletionTimestamp !== undefined) return object;
      const updated = rest.store.mutate('namespaces', undefined, name, (ns) => {
        ns.metadata.deletionTimestamp = rfc3339();
        ns.metadata.deletionGracePeriodSeconds = 0;
        ns.status = { phase: 'Terminating' };
      });
      return updated ?? object;
    },
  };
}

/** Empties terminating namespaces and removes them when nothing is left. */
export function startNamespaceController(rest: Rest): () => void {
  const { store } = rest;
  const empty = (namespace: string): void => {
    for (const resource of CONTENT) {
      for (const object of store.list(resource, namespace)) {
        if (resource === 'pods' && object.metadata.deletionTimestamp !== undefined) continue;
        try {
          rest.delete(resource, namespace, object.metadata.name ?? '', {});
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
        }
      }
    }
    if (store.list('pods', namespace).length === 0) {
      for (const resource of CONTENT)
        for (const o of store.list(resource, namespace)) store.remove(resource, namespace, o.metadata.name ?? '');
      store.remove('namespaces', undefined, namespace);
    }
  };
  return store.onChange((change) => {
    if (change.resource === 'namespaces' && change.type === 'MODIFIED' && change.object.metadata.deletionTimestamp !== undefined) {
      empty(change.object.metadata.name ?? '');
    } else if (change.resource === 'pods' && change.type === 'DELETED') {
      const ns = store.get('namespaces', undefined, change.object.metadata.namespace ?? '');
      if (ns?.metadata.deletionTimestamp !== undefined) empty(ns.metadata.name ?? '');
    }
  });
}
