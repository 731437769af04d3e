// Where the test SMTP server (Mailpit) lives, so `npm test` knows when it must be built first
// and the backend test harness (backend/test/support/mailpit.ts) finds it.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './database.mjs';

export const MAILPIT_VERSION = 'v1.33.1';
export const MAILPIT_MODULE = 'github.com/axllent/mailpit';
/** Where `npm run setup:mail` installs Mailpit. */
export const MAILPIT_BINARY = join(ROOT, '.tools', 'bin', 'mailpit');

/** The version a Mailpit binary reports (`v1.33.1`), or null when it is missing or does not run. */
export function mailpitVersion(binary = MAILPIT_BINARY) {
  try {
    accessSync(binary, constants.X_OK);
    return (
      /(v\d+\.\d+\.\d+)/.exec(execFileSync(binary, ['version', '--no-release-check'], { encoding: 'utf8' }))?.[1] ??
      null
    );
  } catch {
    return null;
  }
}
