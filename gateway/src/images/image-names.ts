import { InvalidInputError } from '../common/errors';

/**
 * Docker's image-name rules Berth relies on: where the registry is in a name, and how a local
 * image is named in a registry.
 */

/** "repo:tag" → parts; a name without a tag gets "latest" (a ":" before the last "/" is a registry port). */
export function splitRef(ref: string): { repo: string; tag: string } {
  const at = ref.lastIndexOf(':');
  return at > ref.lastIndexOf('/') ? { repo: ref.slice(0, at), tag: ref.slice(at + 1) } : { repo: ref, tag: 'latest' };
}

/** The registry host of a name, as Docker reads it: a first component with "." or ":" or "localhost". */
export function registryHostOf(name: string): string | undefined {
  const slash = name.indexOf('/');
  if (slash < 0) return undefined;
  const first = name.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined;
}

/** `ref` as named in `registry` ("host[:port][/path]"): "127.0.0.1:5000/berth/codeenv-x:0123abcd". */
export function nameInRegistry(registry: string, ref: string): string {
  const trimmed = registry.replace(/\/+$/, '');
  if (registryHostOf(`${trimmed}/x`) === undefined) {
    throw new InvalidInputError(
      `registry ${JSON.stringify(registry)} must start with a host name with "." or ":" (e.g. "registry.example.com" or "127.0.0.1:5000"), as Docker names registries`,
    );
  }
  return `${trimmed}/${ref}`;
}
