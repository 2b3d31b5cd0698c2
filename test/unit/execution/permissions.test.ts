import type { Identity } from '../../../gateway/src/execution/identity';
import { Permissions } from '../../../gateway/src/execution/permissions';

const permissions = new Permissions();
const alice: Identity = { name: 'alice', groups: ['data', 'gpu'], admin: false };
const bob: Identity = { name: 'bob', groups: [], admin: false };
const root: Identity = { name: 'root', groups: [], admin: true };

describe('Permissions', () => {
  it('shows a kernel to its owner and to admins only', () => {
    expect(permissions.canSeeKernel(alice, { owner: 'alice' })).toBe(true);
    expect(permissions.canSeeKernel(bob, { owner: 'alice' })).toBe(false);
    expect(permissions.canSeeKernel(root, { owner: 'alice' })).toBe(true);
  });

  it('allows an exec config to listed users, members of listed groups, and admins', () => {
    const gpu = { permissions: { groups: ['gpu'], users: ['bob'] } };
    expect(permissions.canUseExecConfig(alice, gpu)).toBe(true);
    expect(permissions.canUseExecConfig(bob, gpu)).toBe(true);
    expect(permissions.canUseExecConfig({ name: 'carol', groups: ['data'], admin: false }, gpu)).toBe(false);
    expect(permissions.canUseExecConfig({ name: 'carol', groups: [], admin: false }, { permissions: { groups: ['ops'] } })).toBe(false);
    expect(permissions.canUseExecConfig(root, { permissions: { groups: ['ops'] } })).toBe(true);
  });

  it('allows an exec config with no lists to everyone', () => {
    expect(permissions.canUseExecConfig(bob, {})).toBe(true);
    expect(permissions.canUseExecConfig(bob, { permissions: { groups: [], users: [] } })).toBe(true);
  });

  it('reads the group "*" (the exec-config schema default) as everyone', () => {
    expect(permissions.canUseExecConfig(bob, { permissions: { groups: ['*'], users: [] } })).toBe(true);
    expect(permissions.canUseExecConfig({ name: 'dave', groups: [], admin: false }, { permissions: { groups: ['*'] } })).toBe(true);
  });

  it("takes a kernel's owner from the identity; only an admin may name another by KERNEL_USERNAME", () => {
    expect(permissions.kernelOwner(alice, { KERNEL_USERNAME: 'bob' })).toBe('alice');
    expect(permissions.kernelOwner(alice, {})).toBe('alice');
    expect(permissions.kernelOwner(root, { KERNEL_USERNAME: 'bob' })).toBe('bob');
    expect(permissions.kernelOwner(root, {})).toBe('root');
  });
});
