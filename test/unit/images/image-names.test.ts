// Docker's image-name rules as Berth applies them: tags, registry hosts and names in a registry.
import { InvalidInputError } from '../../../gateway/src/common/errors';
import { nameInRegistry, registryHostOf, splitRef } from '../../../gateway/src/images/image-names';

test('splitRef tells a tag from a registry port', () => {
  expect(splitRef('berth/base:0123')).toEqual({ repo: 'berth/base', tag: '0123' });
  expect(splitRef('berth/base')).toEqual({ repo: 'berth/base', tag: 'latest' });
  expect(splitRef('127.0.0.1:5000/berth/base')).toEqual({ repo: '127.0.0.1:5000/berth/base', tag: 'latest' });
  expect(splitRef('127.0.0.1:5000/berth/base:v1')).toEqual({ repo: '127.0.0.1:5000/berth/base', tag: 'v1' });
});

test('registryHostOf reads the first component as Docker does', () => {
  expect(registryHostOf('127.0.0.1:5000/berth/base:latest')).toBe('127.0.0.1:5000');
  expect(registryHostOf('registry.example.com/berth/base')).toBe('registry.example.com');
  expect(registryHostOf('localhost/x')).toBe('localhost');
  expect(registryHostOf('berth/base:latest')).toBeUndefined();
  expect(registryHostOf('ubuntu')).toBeUndefined();
});

test('nameInRegistry puts a local ref under a registry and refuses a registry Docker would read as a repository', () => {
  expect(nameInRegistry('127.0.0.1:5000', 'berth/codeenv-x:abc')).toBe('127.0.0.1:5000/berth/codeenv-x:abc');
  expect(nameInRegistry('registry.example.com/team/', 'berth/codeenv-x:abc')).toBe('registry.example.com/team/berth/codeenv-x:abc');
  expect(() => nameInRegistry('myregistry', 'berth/x:1')).toThrow(InvalidInputError);
  expect(() => nameInRegistry('myregistry', 'berth/x:1')).toThrow(/must start with a host name with "\." or ":"/);
});
