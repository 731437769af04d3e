#!/usr/bin/env node
// The plugin's PHP static checks, run by `npm test`: `php -l` on every PHP file, then PHP_CodeSniffer
// (Debian's php-codesniffer 3.7) with plugin/phpcs.xml.dist: WordPress-Extra plus the WordPress.Security
// and WordPress.DB sniffs. The WordPress standards are not installed system-wide; they are read from
// ../shared/tools/phpcs-standards (WPCS 3.0.1, PHPCSUtils 1.0.8, PHPCSExtra 1.1.2) or from the folder
// named by CLICKPATH_PHPCS_STANDARDS. Any finding fails, warnings included: an exception is written
// next to the code as `phpcs:ignore <Sniff> -- <why>`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const plugin = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(plugin, '..');
const standards = resolve(
  process.env.CLICKPATH_PHPCS_STANDARDS || join(root, '..', 'shared', 'tools', 'phpcs-standards'),
);
const SKIPPED = new Set(['build', 'languages', 'node_modules']);

function fail(message) {
  console.error(`✖ ${message}`);
  process.exit(1);
}

function phpFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return SKIPPED.has(name) ? [] : phpFiles(path);
    return name.endsWith('.php') ? [path] : [];
  });
}

const files = phpFiles(plugin);
const broken = files.filter((file) => spawnSync('php', ['-l', file], { encoding: 'utf8' }).status !== 0);
if (broken.length > 0) {
  for (const file of broken) console.error(spawnSync('php', ['-l', file], { encoding: 'utf8' }).stdout.trim());
  fail(`php -l: ${broken.length} file(s) with syntax errors`);
}
console.log(`✔ php -l: ${files.length} files`);

const paths = ['WordPressCS', 'PHPCSUtils', 'PHPCSExtra'].map((name) => join(standards, name));
const missing = paths.filter((path) => !existsSync(path));
if (missing.length > 0) {
  fail(
    `The WordPress coding standards are missing (${missing.map((path) => relative(root, path)).join(', ')}). ` +
      'Point CLICKPATH_PHPCS_STANDARDS at a folder holding WordPressCS/, PHPCSUtils/ and PHPCSExtra/.',
  );
}
// installed_paths must be absolute: phpcs resolves relative ones against its own install folder.
const result = spawnSync(
  'phpcs',
  ['--runtime-set', 'installed_paths', paths.join(','), '--standard=phpcs.xml.dist', '--no-colors', '-q'],
  { cwd: plugin, stdio: 'inherit' },
);
if (result.error)
  fail(`phpcs could not run (${result.error.message}); install it with: apt-get install php-codesniffer`);
if (result.status !== 0) fail('phpcs: the plugin does not follow plugin/phpcs.xml.dist (findings above)');
console.log(`✔ phpcs (WordPress-Extra, WordPress.Security, WordPress.DB): no findings in plugin/`);
