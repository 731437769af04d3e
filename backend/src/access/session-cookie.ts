import type { Response } from 'express';

import { SESSION_COOKIE } from './auth';
import type { Config } from '../lib/config';

/** Sets and clears the session cookie with the same attributes wherever a session starts or ends. */
export function sessionCookie(config: Pick<Config, 'COOKIE_SECURE'>) {
  const options = { httpOnly: true, sameSite: 'lax', secure: config.COOKIE_SECURE, path: '/' } as const;
  return {
    set: (res: Response, token: string, expiresAt: Date): void => {
      res.cookie(SESSION_COOKIE, token, { ...options, expires: expiresAt });
    },
    clear: (res: Response): void => {
      res.clearCookie(SESSION_COOKIE, options);
    },
  };
}
