import {
  ConflictError,
  ForbiddenError,
  GatewayError,
  InvalidInputError,
  KernelLaunchError,
  LaunchTimeoutError,
  NotFoundError,
  QuotaExceededError,
  UnauthenticatedError,
} from '../../../gateway/src/common/errors';
import { errorBody } from '../../../gateway/src/http/middleware/error-handler';

describe('errorBody', () => {
  it.each([
    [new InvalidInputError('x'), 400, 'Bad Request'],
    [new UnauthenticatedError('x'), 401, 'Unauthorized'],
    [new ForbiddenError('x'), 403, 'Forbidden'],
    [new QuotaExceededError('x'), 429, 'Too Many Requests'],
    [new NotFoundError('x'), 404, 'Not Found'],
    [new ConflictError('x'), 409, 'Conflict'],
    [new KernelLaunchError('x'), 500, 'Internal Server Error'],
    [new LaunchTimeoutError('x'), 504, 'Gateway Timeout'],
  ])("maps %p to %i with Jupyter's {message, reason}", (error, status, reason) => {
    const result = errorBody(error);
    expect(result.status).toBe(status);
    expect(result.body.reason).toBe(reason);
    expect(result.body.message).toBe('x');
    expect(result.body.code).toBe((error as GatewayError).code);
  });

  it("puts a launch failure's stderr tail in traceback", () => {
    const { body } = errorBody(new KernelLaunchError('died', { details: { stderrTail: 'Traceback: boom' } }));
    expect(body.traceback).toBe('Traceback: boom');
    expect(body.details).toEqual({ stderrTail: 'Traceback: boom' });
  });

  it('turns unknown errors into a 500 internal error', () => {
    const { status, body } = errorBody(new TypeError('oops'));
    expect(status).toBe(500);
    expect(body.code).toBe('internal');
    expect(body.message).toMatch(/oops/);
  });
});
