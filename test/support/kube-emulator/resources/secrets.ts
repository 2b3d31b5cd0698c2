// Secrets: create (data as base64, stringData folded into data, type Opaque by default), get, list,
// watch, delete, merge patch (e.g. to add an owner once it exists). Deleted by the garbage collector when every owner in ownerReferences is gone.
import { errors, FieldError } from '../status';
import type { ResourceHandler } from '../rest';
import { isRecord } from '../meta';
import { check, configKey, dns1123Subdomain, validateObjectMeta } from '../validation';
import type { KubeObject, Secret } from '../types';

const BASE64_CHAR = /[A-Za-z0-9+/]/;

/** Go's base64.StdEncoding error for `text`, or undefined when it decodes. */
function base64Problem(text: string): string | undefined {
  const clean = text.replace(/[\r\n]/g, '');
  const body = clean.replace(/={1,2}$/, '');
  for (let i = 0; i < body.length; i++) if (!BASE64_CHAR.test(body[i])) return `illegal base64 data at input byte ${i}`;
  if (clean.length % 4 !== 0) return `illegal base64 data at input byte ${clean.length - (clean.length % 4)}`;
  return undefined;
}

export function secretsHandler(admit: (secret: Secret) => void): ResourceHandler {
  return {
    resource: 'secrets',
    kind: 'Secret',
    namespaced: true,
    verbs: new Set(['create', 'get', 'list', 'watch', 'delete', 'patch']),
    fields: { type: (o) => String((o as Secret).type ?? '') },
    prepare(object: KubeObject): KubeObject {
      const secret = object as Secret;
      const data: Record<string, string> = {};
      for (const [field, value] of [
        ['data', secret.data],
        ['stringData', secret.stringData],
      ] as const) {
        if (value === undefined || value === null) continue;
        if (!isRecord(value))
          throw errors.undecodable('Secret', `json: cannot unmarshal ${typeof value} into Go struct field Secret.${field}`);
        for (const [key, v] of Object.entries(value)) {
          if (typeof v !== 'string')
            throw errors.undecodable('Secret', `json: cannot unmarshal ${typeof v} into Go struct field Secret.${field} of type string`);
          if (field === 'data') {
            const problem = base64Problem(v);
            if (problem !== undefined) throw errors.undecodable('Secret', problem);
            data[key] = v.replace(/[\r\n]/g, '');
          } else data[key] = Buffer.from(v, 'utf8').toString('base64');
        }
      }
      delete secret.stringData;
      secret.data = data;
      secret.type = secret.type || 'Opaque';
      const errs = validateObjectMeta(secret.metadata, dns1123Subdomain);
      for (const key of Object.keys(data)) errs.push(...check(`data[${key}]`, key, configKey));
      const size = Object.values(data).reduce((n, v) => n + Buffer.from(v, 'base64').length, 0);
      if (size > 1024 * 1024) errs.push(FieldError.invalid('data', `${size} bytes`, 'must have at most 1048576 bytes'));
      if (errs.length > 0) throw errors.invalid('Secret', secret.metadata.name ?? '', errs);
      return secret;
    },
    admit: (object) => admit(object as Secret),
  };
}
