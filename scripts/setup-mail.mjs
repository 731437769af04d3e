#!/usr/bin/env node
// Installs Mailpit (an SMTP server with an HTTP API to read what arrived) into .tools/bin
// with `go install`, for the backend's email tests. Only the Go module proxy is used.
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';

import { findGo } from './lib/database.mjs';
import {
  MAILPIT_BINARY as binary,
  MAILPIT_MODULE,
  MAILPIT_VERSION as VERSION,
  mailpitVersion,
} from './lib/mailpit.mjs';

if (mailpitVersion(binary) === VERSION) {
  console.log(`Mailpit ${VERSION} already installed at ${binary}`);
  process.exit(0);
}

const go = findGo();
if (!go) {
  console.error(
    'setup:mail needs Go 1.24+ (https://go.dev/dl/) to build Mailpit, the SMTP server the email tests use.',
  );
  process.exit(1);
}

console.log(`Building Mailpit ${VERSION} with ${go} (about a minute the first time)...`);
// The version is stamped in as Mailpit's own release build does (`mailpit version` says "dev" otherwise).
execFileSync(
  go,
  ['install', '-ldflags', `-X ${MAILPIT_MODULE}/config.Version=${VERSION}`, `${MAILPIT_MODULE}@${VERSION}`],
  {
    stdio: 'inherit',
    env: { ...process.env, GOBIN: dirname(binary), CGO_ENABLED: '0' },
  },
);
console.log(`Mailpit ${mailpitVersion(binary)} installed at ${binary}`);
