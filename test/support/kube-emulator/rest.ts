// The generic REST storage every resource goes through (genericregistry.Store): create with
// generateName, uid and creationTimestamp, get, list with label and field selectors and limit/continue,
// delete with preconditions; each resource adds its own decoding, defaulting, validation, admission
// and (pods, namespaces) graceful deletion.
import { clone, generatedName, isRecord, newUid, rfc3339 } from './meta';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors';
import type { Store } from './store';
import { errors, successStatus, type Status } from './status';
import type { KubeObject, ObjectMeta } from './types';

export type Verb = 'create' | 'get' | 'list' | 'watch' | 'delete' | 'patch';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
}

export interface ResourceHandler {
  /** The plural in the URL: pods, secrets, ... */
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: ReadonlySet<Verb>;
  /** Field selector labels besides metadata.name and metadata.namespace. */
  fields?: Record<string, (object: KubeObject) => string>;
  /** Decodes, defaults and validates a create body (metadata already has its name, uid, timestamp). */
  prepare?(object: KubeObject): KubeObject;
  /** Admission after validation (quota). */
  admit?(object: KubeObject): void;
  /** Deletion when it is not an immediate removal; answers the response body. */
  delete?(object: KubeObject, options: DeleteOptions): KubeObject | Status;
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListBody {
  kind: string;
  apiVersion: 'v1';
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: KubeObject[];
}

function withoutTypeMeta(object: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest as KubeObject;
}

export function checkPreconditions(resource: string, object: KubeObject, options: DeleteOptions): void {
  const pre = options.preconditions;
  const name = object.metadata.name ?? '';
  if (pre?.uid !== undefined && pre.uid !== object.metadata.uid) {
    throw errors.conflict(
      resource,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${object.metadata.uid}`,
    );
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== object.metadata.resourceVersion) {
    throw errors.conflict(
      resource,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${object.metadata.resourceVersion}`,
    );
  }
}

export class Rest {
  private readonly handlers = new Map<string, ResourceHandler>();

  constructor(readonly store: Store) {}

  register(handler: ResourceHandler): void {
    this.handlers.set(handler.resource, handler);
  }

  handler(resource: string): ResourceHandler | undefined {
    return this.handlers.get(resource);
  }

  get resources(): string[] {
    return [...this.handlers.keys()];
  }

  private must(resource: string): ResourceHandler {
    const h = this.handlers.get(resource);
    if (h === undefined) throw errors.pathNotFound();
    return h;
  }

  create(resource: string, namespace: string | undefined, body: unknown, { dryRun = false } = {}): KubeObject {
    const h = this.must(resource);
    if (!isRecord(body))
      throw errors.badRequest('the body of the request was in an unknown format - accepted media types include: application/json');
    if (body.apiVersion !== undefined && body.apiVersion !== 'v1') {
      throw errors.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (v1)`);
    }
    const object = clone(body) as KubeObject;
    const meta: ObjectMeta = isRecord(object.metadata) ? object.metadata : {};
    object.apiVersion = 'v1';
    object.kind = h.kind;
    if (h.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
    } else delete meta.namespace;
    if ((meta.name === undefined || meta.name === '') && meta.generateName) meta.name = generatedName(meta.generateName);
    meta.uid = newUid();
    meta.creationTimestamp = rfc3339();
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    object.metadata = meta;
    const prepared = h.prepare ? h.prepare(object) : object;
    const name = prepared.metadata.name ?? '';
    if (h.namespaced) this.checkNamespaceOpen(resource, namespace ?? '', name);
    if (this.store.get(resource, namespace, name) !== undefined) throw errors.alreadyExists(resource, name);
    h.admit?.(prepared);
    return dryRun ? prepared : this.store.create(resource, prepared);
  }

  private checkNamespaceOpen(resource: string, namespace: string, name: string): void {
    const ns = this.store.get('namespaces', undefined, namespace);
    if (ns === undefined) throw errors.notFound('namespaces', namespace);
    if (ns.metadata.deletionTimestamp !== undefined) {
      throw errors.forbidden(resource, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  /**
   * A JSON merge patch (RFC 7386), as `kubectl patch --type merge` sends it: objects merge, null
   * removes, anything else replaces. The object's identity (kind, name, namespace, uid) stays; its
   * resourceVersion, when the patch names one, must be the current one (409 otherwise).
   */
  patch(resource: string, namespace: string | undefined, name: string, body: unknown): KubeObject {
    const h = this.must(resource);
    if (!isRecord(body))
      throw errors.badRequest(
        'the body of the request was in an unknown format - accepted media types include: application/merge-patch+json',
      );
    const current = this.get(resource, namespace, name);
    const wanted = (body.metadata as ObjectMeta | undefined)?.resourceVersion;
    if (wanted !== undefined && wanted !== current.metadata.resourceVersion) {
      throw errors.conflict(resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const next = mergePatch(clone(current), body) as KubeObject;
    next.apiVersion = current.apiVersion;
    next.kind = current.kind;
    next.metadata = {
      ...next.metadata,
      name: current.metadata.name,
      namespace: current.metadata.namespace,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      resourceVersion: current.metadata.resourceVersion,
    };
    const prepared = h.prepare ? h.prepare(next) : next;
    return this.store.update(resource, prepared);
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject {
    this.must(resource);
    const object = this.store.get(resource, namespace, name);
    if (object === undefined) throw errors.notFound(resource, name);
    return object;
  }

  /** A predicate for the objects a list or watch with these selectors returns. */
  matcher(resource: string, namespace: string | undefined, query: ListQuery): (object: KubeObject) => boolean {
    const h = this.must(resource);
    const fields: Record<string, (o: KubeObject) => string> = {
      'metadata.name': (o) => o.metadata.name ?? '',
      'metadata.namespace': (o) => o.metadata.namespace ?? '',
      ...h.fields,
    };
    const labels = parseLabelSelector(query.labelSelector);
    const fieldSelector = parseFieldSelector(query.fieldSelector, Object.keys(fields));
    return (object) =>
      (namespace === undefined || object.metadata.namespace === namespace) &&
      matchesLabels(labels, object.metadata.labels) &&
      matchesFields(fieldSelector, (field) => fields[field](object));
  }

  list(resource: string, namespace: string | undefined, query: ListQuery): ListBody {
    const h = this.must(resource);
    const match = this.matcher(resource, namespace, query);
    const revision = this.store.resourceVersion;
    let items = this.store.list(resource, namespace).filter(match);
    const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (query.continue) {
      const start = this.decodeContinue(query.continue);
      items = items.filter((o) => keyOf(o) >= start);
    }
    const metadata: ListBody['metadata'] = { resourceVersion: revision };
    if (query.limit !== undefined && query.limit > 0 && items.length > query.limit) {
      const rest = items.slice(query.limit);
      items = items.slice(0, query.limit);
      const token = { v: 'meta.k8s.io/v1', rv: Number(revision), start: `${keyOf(rest[0])}` };
      metadata.continue = Buffer.from(JSON.stringify(token)).toString('base64');
      metadata.remainingItemCount = rest.length;
    }
    return { kind: `${h.kind}List`, apiVersion: 'v1', metadata, items: items.map(withoutTypeMeta) };
  }

  private decodeContinue(token: string): string {
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { v?: string; start?: string };
      if (parsed.v === 'meta.k8s.io/v1' && typeof parsed.start === 'string') return parsed.start;
    } catch (_err) {
      // falls through to the error below
    }
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }

  delete(
    resource: string,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
    { dryRun = false } = {},
  ): KubeObject | Status {
    const h = this.must(resource);
    const object = this.get(resource, namespace, name);
    checkPreconditions(resource, object, options);
    if (dryRun) return h.delete ? object : successStatus({ name, kind: resource, uid: object.metadata.uid });
    if (h.delete) return h.delete(object, options);
    this.store.remove(resource, namespace, name);
    return successStatus({ name, kind: resource, uid: object.metadata.uid });
  }
}

/** RFC 7386 applied to `target` (changed in place for objects; returned). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const result: Record<string, unknown> = isRecord(target) ? target : {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete result[field];
    else result[field] = mergePatch(result[field], value);
  }
  return result;
}
