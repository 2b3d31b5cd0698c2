import { chooseExecConfig, describeAccess } from '../../../gateway/src/execution/exec-config-choice';

describe('chooseExecConfig (gateway default → group default → request)', () => {
  const groupDefaults = { analysts: 'docker-small', gpu: 'docker-gpu' };

  it('takes the gateway default when nothing else applies', () => {
    expect(chooseExecConfig({ groups: ['other'], groupDefaults, gatewayDefault: 'local' })).toEqual({ id: 'local', source: 'gateway' });
  });

  it("takes the default of the caller's first group that has one", () => {
    expect(chooseExecConfig({ groups: ['other', 'gpu', 'analysts'], groupDefaults, gatewayDefault: 'local' })).toEqual({
      id: 'docker-gpu',
      source: 'group',
    });
  });

  it('lets KERNEL_EXECUTION_CONFIG override both', () => {
    expect(chooseExecConfig({ requested: 'docker-large', groups: ['gpu'], groupDefaults, gatewayDefault: 'local' })).toEqual({
      id: 'docker-large',
      source: 'request',
    });
  });

  it('treats an empty request as none', () => {
    expect(chooseExecConfig({ requested: ' ', groups: [], groupDefaults, gatewayDefault: 'local' }).source).toBe('gateway');
  });

  it('ignores inherited object keys as group names', () => {
    expect(chooseExecConfig({ groups: ['constructor'], groupDefaults, gatewayDefault: 'local' }).id).toBe('local');
  });
});

describe('describeAccess', () => {
  it('names groups and users', () => {
    expect(describeAccess({ groups: ['data-science'], users: [] })).toBe('members of the group data-science');
    expect(describeAccess({ groups: ['a', 'b'], users: ['ann'] })).toBe('members of the groups a, b, or the user ann');
    expect(describeAccess({ groups: [], users: [] })).toBe('admins');
  });
});
