import { chooseRunKernel } from '../../../gateway/src/runner/run-kernel-choice';
import { runRequestSchema, type RunRequest } from '../../../gateway/src/runner/run';

function request(fields: Record<string, unknown> = {}): RunRequest {
  return runRequestSchema.parse({ kind: 'notebook', notebook: {}, ...fields });
}
const gatewayDefault = (): string => 'local';

describe('chooseRunKernel', () => {
  test('the request names the kernelspec: it wins', () => {
    expect(chooseRunKernel(request({ kernel: 'ml--docker-small', codeEnv: 'x' }), 'python', {}, gatewayDefault)).toEqual({
      name: 'ml--docker-small',
      env: {},
    });
  });

  test('code env and exec config make the pair; a code env alone takes the default exec config', () => {
    expect(chooseRunKernel(request({ codeEnv: 'ml', execConfig: 'docker-small' }), 'python', {}, gatewayDefault).name).toBe(
      'ml--docker-small',
    );
    expect(chooseRunKernel(request({ codeEnv: 'ml' }), 'python', {}, () => 'docker-large').name).toBe('ml--docker-large');
  });

  test("the notebook's own choice (metadata.berth, then kernelspec.name) comes after the request's", () => {
    const metadata = { berth: { codeEnv: 'pandas', execConfig: 'docker-small' }, kernelspec: { name: 'python3' } };
    expect(chooseRunKernel(request(), 'python', metadata, gatewayDefault).name).toBe('pandas--docker-small');
    expect(chooseRunKernel(request({ execConfig: 'docker-large' }), 'python', metadata, gatewayDefault).name).toBe('pandas--docker-large');
    expect(chooseRunKernel(request(), 'python', { kernelspec: { name: 'ir' } }, gatewayDefault)).toEqual({ name: 'ir', env: {} });
  });

  test('an exec config alone runs the plain spec there; a pair from the notebook moves to it', () => {
    expect(chooseRunKernel(request({ execConfig: 'docker-small' }), 'python', { kernelspec: { name: 'python3' } }, gatewayDefault)).toEqual(
      {
        name: 'python3',
        env: { KERNEL_EXECUTION_CONFIG: 'docker-small' },
      },
    );
    expect(chooseRunKernel(request({ execConfig: 'b' }), 'python', { kernelspec: { name: 'ml--a' } }, gatewayDefault)).toEqual({
      name: 'ml--b',
      env: {},
    });
  });

  test('without any choice: the language plain spec, or none (the gateway default)', () => {
    expect(chooseRunKernel(request(), 'r', undefined, gatewayDefault).name).toBe('ir');
    expect(chooseRunKernel(request(), undefined, undefined, gatewayDefault).name).toBeUndefined();
  });
});
