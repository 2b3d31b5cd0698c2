// The apimachinery validators the emulator's resources share (names, label keys and values, object
// metadata), with the real messages.
import { FieldError } from './status';
import type { ObjectMeta } from './types';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE = '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?';
const ENV_VAR_NAME = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const CONFIG_KEY = '[-._a-zA-Z0-9]+';

function full(pattern: string): RegExp {
  return new RegExp(`^${pattern}$`);
}

function regexMessage(what: string, examples: string[], pattern: string): string {
  const e = examples.map((x) => `'${x}'`).join(',  or ');
  return `${what} (e.g. ${e}, regex used for validation is '${pattern}')`;
}

/** Problems with a DNS-1123 label (namespace and container names), as IsDNS1123Label reports them. */
export function dns1123Label(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push('must be no more than 63 characters');
  if (!full(DNS1123_LABEL).test(value)) {
    problems.push(
      regexMessage(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        ['my-name', '123-abc'],
        DNS1123_LABEL,
      ),
    );
  }
  return problems;
}

/** Problems with a DNS-1123 subdomain (pod, secret, quota names). */
export function dns1123Subdomain(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 253) problems.push('must be no more than 253 characters');
  if (!full(DNS1123_SUBDOMAIN).test(value)) {
    problems.push(
      regexMessage(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        ['example.com'],
        DNS1123_SUBDOMAIN,
      ),
    );
  }
  return problems;
}

/** Problems with a qualified name (label and annotation keys): an optional DNS subdomain prefix and '/', then a name. */
export function qualifiedName(value: string): string[] {
  const parts = value.split('/');
  const nameMessage = regexMessage(
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    ['MyName', 'my.name', '123-abc'],
    QUALIFIED_NAME,
  );
  if (parts.length > 2) {
    return [
      regexMessage(
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ['MyName', 'my.name', '123-abc'],
        QUALIFIED_NAME,
      ) + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  const problems: string[] = [];
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    if (parts[0] === '') problems.push('prefix part must be non-empty');
    else problems.push(...dns1123Subdomain(parts[0]).map((p) => `prefix part ${p}`));
  }
  if (name === '') problems.push('name part must be non-empty');
  else {
    if (name.length > 63) problems.push('name part must be no more than 63 characters');
    if (!full(QUALIFIED_NAME).test(name)) problems.push(nameMessage);
  }
  return problems;
}

export function labelValue(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push('must be no more than 63 characters');
  if (!full(LABEL_VALUE).test(value)) {
    problems.push(
      regexMessage(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ['MyValue', 'my_value', '12345'],
        LABEL_VALUE,
      ),
    );
  }
  return problems;
}

export function envVarName(value: string): string[] {
  if (full(ENV_VAR_NAME).test(value)) return [];
  return [
    regexMessage(
      "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
      ['my.env-name', 'MY_ENV.NAME', 'MyEnvName1'],
      ENV_VAR_NAME,
    ),
  ];
}

export function configKey(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 253) problems.push('must be no more than 253 characters');
  if (!full(CONFIG_KEY).test(value)) {
    problems.push(
      regexMessage(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        ['key.name', 'KEY_NAME', 'key-name'],
        CONFIG_KEY,
      ),
    );
  }
  if (value === '.' || value === '..') problems.push(`must not be '${value}'`);
  else if (value.startsWith('..')) problems.push("must not start with '..'");
  return problems;
}

/** Field errors of `value` under `validator` (one per problem, as the real validators return them). */
export function check(field: string, value: string, validator: (v: string) => string[]): FieldError[] {
  return validator(value).map((problem) => FieldError.invalid(field, value, problem));
}

/** ValidateObjectMeta: name or generateName, labels, annotation keys, owner references. */
export function validateObjectMeta(meta: ObjectMeta, nameValidator: (v: string) => string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (meta.name === undefined || meta.name === '') {
    if (meta.generateName === undefined || meta.generateName === '') {
      errs.push(FieldError.required('metadata.name', 'name or generateName is required'));
    }
  } else {
    errs.push(...check('metadata.name', meta.name, nameValidator));
  }
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    errs.push(...check('metadata.labels', key, qualifiedName));
    if (typeof value !== 'string') errs.push(FieldError.invalid(`metadata.labels`, value, 'must be a string'));
    else errs.push(...check('metadata.labels', value, labelValue));
  }
  for (const key of Object.keys(meta.annotations ?? {})) {
    errs.push(...qualifiedName(key.toLowerCase()).map((p) => FieldError.invalid('metadata.annotations', key, p)));
  }
  (meta.ownerReferences ?? []).forEach((ref, i) => {
    const field = `metadata.ownerReferences[${i}]`;
    if (!ref.apiVersion) errs.push(FieldError.invalid(`${field}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(FieldError.invalid(`${field}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(FieldError.invalid(`${field}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(FieldError.invalid(`${field}.uid`, ref.uid ?? '', 'uid must not be empty'));
  });
  return errs;
}
