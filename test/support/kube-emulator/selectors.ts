// Label selectors (`a=b,c`, `a!=b`, `!c`, `a in (x,y)`, `a notin (x)`) and field selectors
// (`involvedObject.name=x,status.phase!=Failed`), parsed and matched as the API server does.
import { errors } from './status';
import { labelValue, qualifiedName } from './validation';

type LabelOperator = 'in' | 'notin' | 'exists' | '!';

interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export type LabelSelector = LabelRequirement[];

/** Splits on commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function parseError(detail: string): Error {
  return errors.badRequest(`unable to parse requirement: ${detail}`);
}

function validKey(key: string): string {
  const problems = qualifiedName(key);
  if (problems.length > 0) throw parseError(`<nil>: Invalid value: ${JSON.stringify(key)}: ${problems[0]}`);
  return key;
}

function validValues(key: string, values: string[]): string[] {
  values.forEach((value, i) => {
    const problems = labelValue(value);
    if (problems.length > 0) throw parseError(`values[${i}][${key}]: Invalid value: ${JSON.stringify(value)}: ${problems[0]}`);
  });
  return values;
}

export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (text === undefined || text.trim() === '') return [];
  return splitTopLevel(text).map((raw): LabelRequirement => {
    const term = raw.trim();
    if (term === '') throw parseError(`found '', expected: !, identifier, or 'end of string'`);
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
    if (set !== null) {
      const values = set[3].split(',').map((v) => v.trim());
      return { key: validKey(set[1]), operator: set[2] as 'in' | 'notin', values: validValues(set[1], values) };
    }
    if (term.startsWith('!')) return { key: validKey(term.slice(1).trim()), operator: '!', values: [] };
    const op = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (op !== null) {
      const key = validKey(op[1]);
      const values = validValues(key, [op[3].trim()]);
      return { key, operator: op[2] === '!=' ? 'notin' : 'in', values };
    }
    if (/^[^\s=!()]+$/.test(term)) return { key: validKey(term), operator: 'exists', values: [] };
    throw parseError(`found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
  });
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {};
  return selector.every(({ key, operator, values }) => {
    const present = Object.prototype.hasOwnProperty.call(have, key);
    switch (operator) {
      case 'exists':
        return present;
      case '!':
        return !present;
      case 'in':
        return present && values.includes(have[key]);
      case 'notin':
        return !present || !values.includes(have[key]);
    }
  });
}

interface FieldRequirement {
  field: string;
  equal: boolean;
  value: string;
}

export type FieldSelector = FieldRequirement[];

/** Parses `text`, refusing fields outside `supported` with the API's message. */
export function parseFieldSelector(text: string | undefined, supported: Iterable<string>): FieldSelector {
  if (text === undefined || text.trim() === '') return [];
  const known = new Set(supported);
  return text.split(/(?<!\\),/).map((term) => {
    const m = /^(.*?)(==|!=|=)(.*)$/.exec(term);
    if (m === null) throw errors.badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = m[1].trim();
    if (!known.has(field)) throw errors.badRequest(`field label not supported: ${field}`);
    return { field, equal: m[2] !== '!=', value: m[3].trim().replace(/\\(.)/g, '$1') };
  });
}

export function matchesFields(selector: FieldSelector, value: (field: string) => string): boolean {
  return selector.every((r) => (value(r.field) === r.value) === r.equal);
}
