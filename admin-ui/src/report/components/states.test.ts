import { ApiError } from '../../data/errors';
import { errorHint } from './states';

const hint = (code: string, host: 'wordpress' | 'standalone' = 'wordpress') =>
  errorHint(new ApiError(code, 'message'), host);

describe('error hints', () => {
  const fallback = hint('something_else');

  it.each([
    'clickpath_not_connected',
    'clickpath_unreachable',
    'clickpath_backend_error',
    'clickpath_redirect_refused',
    'clickpath_key_rejected',
    'validation_failed',
    'not_found',
    'rate_limited',
  ])('gives the WordPress proxy’s %s its own advice', (code) => {
    expect(hint(code)).not.toBe(fallback);
  });

  it('sends WordPress users to the plugin settings and dashboard users to the login when a key or session is refused', () => {
    expect(hint('clickpath_key_rejected')).toContain('Settings → Clickpath');
    expect(hint('unauthenticated', 'standalone')).toContain('sign in again');
  });
});
