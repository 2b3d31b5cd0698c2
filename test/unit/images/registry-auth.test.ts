// registryAuth(): credentials for a registry from a Docker config directory (config.json), as
// `docker login` writes it. Each test writes its own file in a temp directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../../gateway/src/common/errors';
import { registryAuth } from '../../../gateway/src/images/registry-push';

const REGISTRY = '127.0.0.1:5000';
const dirs: string[] = [];

function configDir(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'config.json'), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test('reads the base64 "auth" field (a password may contain ":")', () => {
  const dir = configDir({ auths: { [REGISTRY]: { auth: b64('alice:s3cret:with:colons') } } });
  expect(registryAuth(REGISTRY, dir)).toEqual({ username: 'alice', password: 's3cret:with:colons', serveraddress: REGISTRY });
});

test('reads username/password fields, and keys written as URLs', () => {
  const dir = configDir({ auths: { 'https://registry.example.com/v1/': { username: 'bob', password: 'pw' } } });
  expect(registryAuth('registry.example.com', dir)).toEqual({ username: 'bob', password: 'pw', serveraddress: 'registry.example.com' });
  // A registry with a path ("host/team") uses its host's entry, as Docker does.
  expect(registryAuth('registry.example.com/team', dir)).toEqual(expect.objectContaining({ username: 'bob' }));
});

test('is undefined without an entry for the registry, or without a config file', () => {
  const dir = configDir({ auths: { 'other.example.com': { auth: b64('a:b') } } });
  expect(registryAuth(REGISTRY, dir)).toBeUndefined();
  expect(registryAuth(REGISTRY, join(dir, 'missing'))).toBeUndefined();
});

test('a file that is not JSON is a clear InvalidInputError naming the file', () => {
  const dir = configDir('{"auths": {');
  expect(() => registryAuth(REGISTRY, dir)).toThrow(InvalidInputError);
  expect(() => registryAuth(REGISTRY, dir)).toThrow(new RegExp(`${join(dir, 'config.json')} is not valid JSON`));
});

test('credentials kept by a credential store or helper are refused with what to do', () => {
  const store = configDir({ auths: { [REGISTRY]: {} }, credsStore: 'desktop' });
  expect(() => registryAuth(REGISTRY, store)).toThrow(InvalidInputError);
  expect(() => registryAuth(REGISTRY, store)).toThrow(
    /docker-credential-desktop; credential helpers are not supported: put them in the file/,
  );

  const helper = configDir({ auths: { [REGISTRY]: { auth: b64('a:b') } }, credHelpers: { [REGISTRY]: 'pass' } });
  expect(() => registryAuth(REGISTRY, helper)).toThrow(/docker-credential-pass; credential helpers are not supported/);

  // A store configured for everything does not matter for a registry without an entry.
  expect(registryAuth('elsewhere.example.com', store)).toBeUndefined();
});

test('a malformed "auth" value is an InvalidInputError, and the password never appears in it', () => {
  const dir = configDir({ auths: { [REGISTRY]: { auth: b64('no-colon-secret') } } });
  let message = '';
  try {
    registryAuth(REGISTRY, dir);
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toMatch(/is not base64 of "user:password"/);
  expect(message).not.toContain('no-colon-secret');
});
