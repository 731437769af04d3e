#!/usr/bin/env node
// A private, throwaway WordPress (Debian's `wordpress` 6.1 package, or a newer WordPress of the
// version matrix, + MariaDB + `php -S`) for the plugin's PHPUnit tests, the end-to-end test and
// `npm run bench:wp`. Needs a MariaDB/MySQL server (by default 127.0.0.1:3306, root, no password)
// and the Debian packages ensureWordPressPackages() names.
//
// Manual check (creates a fresh site, starts it, prints URL and admin login, Ctrl-C stops it):
//   node scripts/wordpress.mjs up <name> <port> [--plugin [dir]] [--multisite] [--wp <version>]
//   e.g. node scripts/wordpress.mjs up manual 8081 --plugin plugin --wp 6.7-alpha
//
// Each site lives in .tools/wordpress/<name> (gitignored) with database clickpath_wp_<name>; a site
// of a newer version gets the version in its name (e.g. phpunit-wp6_6_RC3), so versions never share one.
//
// Versions (WORDPRESS_VERSIONS): 'debian-6.1' (the default, /usr/share/wordpress) and 6.5.5, 6.6-RC3
// and 6.7-alpha from the npm package @wp-playground/wordpress-builds, fetched once with `npm pack`
// into ~/.cache/clickpath/wordpress-builds (or CLICKPATH_WP_BUILDS_CACHE; keep that folder in CI's
// cache) and extracted there once per version.
// Database connection: CLICKPATH_WP_DB_HOST (default 127.0.0.1:3306), CLICKPATH_WP_DB_USER
// (root), CLICKPATH_WP_DB_PASSWORD (empty).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { get as httpGet } from 'node:http';
import { homedir } from 'node:os';
import { connect, createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const wordpressSource = '/usr/share/wordpress';
const sitesDir = join(repoRoot, '.tools', 'wordpress');
/** Debian's package; what every runner uses without `--wp`. */
export const DEFAULT_WORDPRESS_VERSION = 'debian-6.1';
// The playground builds keep the PHP in src/wordpress/<build>.zip and the static files (CSS, JS,
// images) stripped from it in public/<build>/.
const WORDPRESS_BUILDS_PACKAGE = '@wp-playground/wordpress-builds@0.9.19';
const WORDPRESS_BUILDS = { 6.5: 'wp-6.5', '6.6-RC3': 'wp-beta', '6.7-alpha': 'wp-nightly' };
/** Every version the matrix runs, oldest first. */
export const WORDPRESS_VERSIONS = [DEFAULT_WORDPRESS_VERSION, ...Object.keys(WORDPRESS_BUILDS)];
const DEBIAN_PACKAGES = [
  'php-cli',
  'php-mysql',
  'php-xml',
  'php-mbstring',
  'php-curl',
  'wordpress',
  'phpunit',
  'php-fpm',
  'libfcgi-bin',
  'chromium',
  'unzip',
];
const PLUGIN_SLUG = 'clickpath';

// ---------------------------------------------------------------------------------------------
// Packages

function commandWorks(command, args) {
  try {
    return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
  } catch {
    return false;
  }
}

function phpExtensionLoaded(extension) {
  return commandWorks('php', ['-r', `exit(extension_loaded('${extension}') ? 0 : 1);`]);
}

function missingPackages({ phpunit, chromium }) {
  const checks = [
    { what: 'php (CLI)', pkg: 'php-cli', ok: () => commandWorks('php', ['-v']) },
    { what: 'PHP mysqli extension', pkg: 'php-mysql', ok: () => phpExtensionLoaded('mysqli') },
    { what: 'PHP xml extension', pkg: 'php-xml', ok: () => phpExtensionLoaded('xml') && phpExtensionLoaded('dom') },
    { what: 'PHP mbstring extension', pkg: 'php-mbstring', ok: () => phpExtensionLoaded('mbstring') },
    { what: 'PHP curl extension', pkg: 'php-curl', ok: () => phpExtensionLoaded('curl') },
    {
      what: `WordPress in ${wordpressSource}`,
      pkg: 'wordpress',
      ok: () => existsSync(join(wordpressSource, 'wp-load.php')),
    },
  ];
  if (phpunit) {
    checks.push({ what: 'phpunit', pkg: 'phpunit', ok: () => commandWorks('phpunit', ['--version']) });
    // RelayTest runs relay.php under PHP-FPM (most hosts' SAPI), talking FastCGI with cgi-fcgi.
    const fpm = () => existsSync('/usr/sbin') && readdirSync('/usr/sbin').some((f) => /^php-fpm[\d.]*$/.test(f));
    checks.push({ what: 'PHP-FPM', pkg: 'php-fpm', ok: fpm });
    checks.push({ what: 'cgi-fcgi', pkg: 'libfcgi-bin', ok: () => existsSync('/usr/bin/cgi-fcgi') });
  }
  if (chromium) checks.push({ what: '/usr/bin/chromium', pkg: 'chromium', ok: () => existsSync('/usr/bin/chromium') });
  // Extracts the newer WordPress versions' zips.
  checks.push({ what: 'unzip', pkg: 'unzip', ok: () => existsSync('/usr/bin/unzip') });
  return checks.filter((check) => !check.ok());
}

/**
 * Checks php (+ mysqli, xml, mbstring, curl), /usr/share/wordpress, phpunit (with php-fpm and cgi-fcgi),
 * /usr/bin/chromium and unzip.
 * As root, installs the missing Debian packages; otherwise throws naming exactly what to install.
 * Pass { phpunit: false, chromium: false } when those are not needed (the benchmark).
 */
export function ensureWordPressPackages({ phpunit = true, chromium = true } = {}) {
  let missing = missingPackages({ phpunit, chromium });
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((m) => m.pkg))];
  const describe = (list) => list.map((m) => `${m.what} (package ${m.pkg})`).join(', ');
  if (process.getuid?.() !== 0) {
    throw new Error(
      `Missing: ${describe(missing)}. Install as root: apt-get install -y ${packages.join(' ')}` +
        ` (all of them: apt-get install -y ${DEBIAN_PACKAGES.join(' ')})`,
    );
  }
  console.log(`Installing Debian packages: ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = spawnSync('apt-get', ['install', '-y', ...packages], { stdio: 'inherit', env });
  if (result.status !== 0) {
    // The package lists may be missing or stale on a fresh machine.
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    result = spawnSync('apt-get', ['install', '-y', ...packages], { stdio: 'inherit', env });
  }
  missing = missingPackages({ phpunit, chromium });
  if (result.status !== 0 || missing.length > 0) {
    throw new Error(
      `apt-get install -y ${packages.join(' ')} failed` +
        (missing.length ? `; still missing: ${describe(missing)}` : ''),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// PHP helpers

/** A PHP single-quoted string literal for any JS string. */
function phpString(value) {
  return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function dbSettings() {
  return {
    host: process.env.CLICKPATH_WP_DB_HOST || '127.0.0.1:3306',
    user: process.env.CLICKPATH_WP_DB_USER || 'root',
    password: process.env.CLICKPATH_WP_DB_PASSWORD ?? '',
  };
}

/** Runs a PHP script given on stdin; resolves with stdout, rejects with stderr on a non-zero exit. */
function runPhpScript(script, { cwd, label = 'PHP' } = {}) {
  return new Promise((resolvePromise, reject) => {
    // display_errors=stderr keeps stdout clean (e.g. core's PHP 8.2 deprecations before WP_DEBUG applies).
    const child = spawn('php', ['-d', 'display_errors=stderr', '-d', 'log_errors=0'], {
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolvePromise(stdout);
      else {
        const error = new Error(
          `${label} failed (exit ${code ?? signal}): ${stderr.trim() || '(no stderr)'}` +
            (stdout.trim() ? `\nstdout: ${stdout.trim().slice(0, 2000)}` : ''),
        );
        Object.assign(error, { stdout, stderr, exitCode: code });
        reject(error);
      }
    });
    child.stdin.end(script);
  });
}

function mysqliConnectCode() {
  const { host, user, password } = dbSettings();
  // Same host syntax as WordPress's DB_HOST: "host", "host:port" or "host:/path/to/socket".
  const [hostname, rest] = host.split(/:(.*)/s);
  const port = rest && /^\d+$/.test(rest) ? Number(rest) : 3306;
  const socket = rest && !/^\d+$/.test(rest) ? rest : '';
  return (
    `mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);\n` +
    `$db = new mysqli(${phpString(hostname)}, ${phpString(user)}, ${phpString(password)}, '', ${port}, ${phpString(socket)});\n`
  );
}

function assertSafeDbName(dbName) {
  if (!/^[A-Za-z0-9_]+$/.test(dbName)) throw new Error(`Unsafe database name ${dbName}`);
}

async function recreateDatabase(dbName) {
  assertSafeDbName(dbName);
  await runPhpScript(
    `<?php\n${mysqliConnectCode()}` +
      `$db->query('DROP DATABASE IF EXISTS \`${dbName}\`');\n` +
      `$db->query('CREATE DATABASE \`${dbName}\` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');\n`,
    { label: `Creating MariaDB database ${dbName} on ${dbSettings().host}` },
  );
}

async function dropDatabase(dbName) {
  assertSafeDbName(dbName);
  await runPhpScript(`<?php\n${mysqliConnectCode()}$db->query('DROP DATABASE IF EXISTS \`${dbName}\`');\n`, {
    label: `Dropping MariaDB database ${dbName}`,
  });
}

/**
 * PHP that loads WordPress as if serving GET / on the site, then runs `code`. A shutdown guard turns
 * WordPress die()-ing while loading (e.g. not installed, database gone) into exit 1 instead of 0.
 */
function wordpressScript(wp, code, { installing = false, prelude = '' } = {}) {
  const body = String(code).replace(/^\s*<\?php/, '');
  return `<?php
$_SERVER['HTTP_HOST'] = ${phpString(`127.0.0.1:${wp.port}`)};
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['SERVER_PORT'] = ${phpString(wp.port)};
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REMOTE_ADDR'] = '127.0.0.1';
$GLOBALS['__clickpath_wp_loaded'] = false;
register_shutdown_function(static function () {
  if (!$GLOBALS['__clickpath_wp_loaded']) {
    fwrite(STDERR, "WordPress did not finish loading (not installed, or the database is unreachable?)\\n");
    exit(1);
  }
});
${installing ? "define('WP_INSTALLING', true);" : ''}
${prelude}
require ${phpString(join(wp.dir, 'wp-load.php'))};
require_once ABSPATH . 'wp-admin/includes/plugin.php';
${installing ? "require_once ABSPATH . 'wp-admin/includes/upgrade.php';" : ''}
$GLOBALS['__clickpath_wp_loaded'] = true;
// WP_DEBUG_DISPLAY=false turned display off; show the snippet's own errors on stderr (they still go to debug.log).
ini_set('display_errors', 'stderr');
${body}
`;
}

function randomSecret(length = 64) {
  // Printable ASCII without quotes and backslashes, so it can sit in a PHP string as-is.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~';
  return Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join('');
}

/** The constants of a subdirectory network on the site's own host and port (sites at /<name>/). */
function multisiteConstants(url) {
  return `define('WP_ALLOW_MULTISITE', true);
define('MULTISITE', true);
define('SUBDOMAIN_INSTALL', false);
define('DOMAIN_CURRENT_SITE', ${phpString(new URL(url).host)});
define('PATH_CURRENT_SITE', '/');
define('SITE_ID_CURRENT_SITE', 1);
define('BLOG_ID_CURRENT_SITE', 1);
`;
}

function wpConfig({ dir, url, dbName, debugLog, scriptDebug = false, multisite = false }) {
  const { host, user, password } = dbSettings();
  const salts = ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY']
    .flatMap((k) => [k, k.replace('_KEY', '_SALT')])
    .map((k) => `define('${k}', ${phpString(randomSecret())});`)
    .join('\n');
  return `<?php
// Written by scripts/wordpress.mjs for a throwaway test site; recreated on every createWordPress().
define('DB_NAME', ${phpString(dbName)});
define('DB_USER', ${phpString(user)});
define('DB_PASSWORD', ${phpString(password)});
define('DB_HOST', ${phpString(host)});
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';

${salts}

${
  // On multisite each site has its own home and siteurl options; the constants would give every site the main one's.
  multisite
    ? multisiteConstants(url)
    : `define('WP_HOME', ${phpString(url)});\ndefine('WP_SITEURL', ${phpString(url)});\n`
}define('WP_ENVIRONMENT_TYPE', 'local');
define('WP_DEBUG', true);
define('WP_DEBUG_LOG', ${phpString(debugLog)});
define('WP_DEBUG_DISPLAY', false);
${
  scriptDebug
    ? "// Unminified scripts and React's development build, which warns about what the production one ignores.\ndefine('SCRIPT_DEBUG', true);\n"
    : ''
}define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('FS_METHOD', 'direct');

if (!defined('ABSPATH')) {
  define('ABSPATH', ${phpString(`${dir}/`)});
}
require_once ABSPATH . 'wp-settings.php';
`;
}

// ---------------------------------------------------------------------------------------------
// WordPress versions

/** The version named by `--wp <version>` in argv, else CLICKPATH_WP_VERSION, else Debian's 6.1. */
export function wordpressVersionFromArgs(argv = process.argv) {
  const index = argv.indexOf('--wp');
  const version = index === -1 ? process.env.CLICKPATH_WP_VERSION || DEFAULT_WORDPRESS_VERSION : argv[index + 1];
  if (!WORDPRESS_VERSIONS.includes(version)) {
    throw new Error(`Unknown WordPress version ${JSON.stringify(version)}; one of ${WORDPRESS_VERSIONS.join(', ')}`);
  }
  return version;
}

// Outside the repository, so a fresh clone on the same machine (CI's .ci/run) finds it.
function buildsCacheDir() {
  const userCache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return resolve(process.env.CLICKPATH_WP_BUILDS_CACHE || join(userCache, 'clickpath', 'wordpress-builds'));
}

function runOrThrow(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${(result.stderr || result.error?.message || '').trim()}`);
  }
  return result.stdout;
}

/**
 * The folder holding a complete WordPress of `version`: Debian's /usr/share/wordpress for
 * 'debian-6.1'; for a newer one, <cache>/<version>, made on first use from the npm package (fetched
 * with `npm pack` into the cache once; the registry is its only source): the build's zip unzipped,
 * its public/ static files copied over it, the playground's SQLite database and wp-config.php
 * removed. Made in a temporary folder and renamed, so an interrupted extraction is never used.
 */
export function wordpressSourceFor(version = DEFAULT_WORDPRESS_VERSION) {
  if (version === DEFAULT_WORDPRESS_VERSION) return wordpressSource;
  const build = WORDPRESS_BUILDS[version];
  if (!build) throw new Error(`Unknown WordPress version ${JSON.stringify(version)}`);
  const cache = buildsCacheDir();
  const target = join(cache, version);
  if (existsSync(join(target, 'wp-load.php'))) return target;

  mkdirSync(cache, { recursive: true });
  const [name, packageVersion] = WORDPRESS_BUILDS_PACKAGE.slice(1).split('@');
  const tarball = join(cache, `${name.replace('/', '-')}-${packageVersion}.tgz`);
  const work = mkdtempSync(join(cache, `.extract-${version}-`));
  try {
    if (!existsSync(tarball)) {
      console.log(`Fetching ${WORDPRESS_BUILDS_PACKAGE} (about 150 MB, once) into ${cache}`);
      runOrThrow('npm', ['pack', WORDPRESS_BUILDS_PACKAGE, '--pack-destination', work, '--silent'], { cwd: work });
      renameSync(join(work, basename(tarball)), tarball);
    }
    runOrThrow('tar', ['-xzf', tarball, '-C', work, `package/src/wordpress/${build}.zip`, `package/public/${build}`]);
    const tree = join(work, 'wordpress');
    runOrThrow('unzip', ['-q', join(work, 'package', 'src', 'wordpress', `${build}.zip`), '-d', tree]);
    runOrThrow('cp', ['-r', '--preserve=timestamps', `${join(work, 'package', 'public', build)}/.`, tree]);
    for (const leftover of ['wp-config.php', 'wordpress-remote-asset-paths', 'wp-content/database']) {
      rmSync(join(tree, leftover), { recursive: true, force: true });
    }
    const versionFile = readFileSync(join(tree, 'wp-includes', 'version.php'), 'utf8');
    const found = /\$wp_version = '([^']+)'/.exec(versionFile)?.[1] ?? '';
    if (!found.startsWith(version.replace(/-.*$/, '')))
      throw new Error(`${build}.zip holds WordPress ${found}, not ${version}`);
    try {
      renameSync(tree, target);
    } catch (error) {
      // Another run extracted the same version meanwhile.
      if (!existsSync(join(target, 'wp-load.php'))) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return target;
}

// ---------------------------------------------------------------------------------------------
// Sites

// The site is offline (WP_HTTP_BLOCK_EXTERNAL): skip the WordPress.org look-ups (update checks in
// wp-admin, translations on wp-login.php) that could only fail, each logging an "An unexpected error
// occurred" warning into debug.log.
const OFFLINE_MU_PLUGIN = `<?php
// Written by scripts/wordpress.mjs (test site only): no WordPress.org update checks offline.
remove_action('admin_init', '_maybe_update_core');
remove_action('admin_init', '_maybe_update_plugins');
remove_action('admin_init', '_maybe_update_themes');
foreach (['load-plugins.php', 'load-update.php', 'load-update-core.php', 'wp_update_plugins'] as $hook) {
  remove_action($hook, 'wp_update_plugins');
}
foreach (['load-themes.php', 'load-update.php', 'load-update-core.php', 'wp_update_themes'] as $hook) {
  remove_action($hook, 'wp_update_themes');
}
remove_action('wp_version_check', 'wp_version_check');
// wp-login.php's language switcher asks WordPress.org for translations on every visit.
add_filter('pre_site_transient_available_translations', static fn () => []);
`;

/**
 * Creates a fresh WordPress in .tools/wordpress/<name> with database clickpath_wp_<name>, installed
 * and configured for tests. Calling it again with the same name starts from scratch.
 * `scriptDebug` loads WordPress's unminified scripts and React's development build (SCRIPT_DEBUG),
 * which log warnings the production builds stay silent about.
 * `multisite` makes it a subdirectory network (sites at <url>/<name>/, the admin a super admin):
 * installed as a single site, then turned into a network as wp-admin/network.php would.
 * `version` is one of WORDPRESS_VERSIONS (default Debian's 6.1); another version's site is named
 * `<name>-wp<version>` (its own folder and database).
 * @param {{ name: string, port: number, adminPassword?: string, scriptDebug?: boolean, multisite?: boolean,
 *   version?: string }} options
 * @returns {Promise<{ name: string, port: number, dir: string, url: string, dbName: string, version: string,
 *   admin: { user: string, password: string, email: string }, debugLog: string,
 *   php: (code: string) => Promise<string> }>}
 */
export async function createWordPress({
  name: baseName,
  port,
  adminPassword,
  scriptDebug = false,
  multisite = false,
  version = DEFAULT_WORDPRESS_VERSION,
} = {}) {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(baseName ?? ''))
    throw new Error(`Invalid WordPress name ${JSON.stringify(baseName)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`Invalid port ${JSON.stringify(port)}`);
  const source = wordpressSourceFor(version);
  const name = version === DEFAULT_WORDPRESS_VERSION ? baseName : `${baseName}-wp${version.replace(/\W/g, '_')}`;
  const dir = join(sitesDir, name);
  const url = `http://127.0.0.1:${port}`;
  const dbName = `clickpath_wp_${name.replace(/-/g, '_')}`;
  const debugLog = join(dir, 'debug.log');
  const admin = {
    user: 'admin',
    password: adminPassword ?? `Cp-${randomBytes(12).toString('base64url')}-9`,
    email: 'admin@example.com',
  };

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(sitesDir, { recursive: true });
  // Keeping core's mtimes lets OPcache (on under php -S) cache files at once: it skips files
  // modified less than opcache.file_update_protection (2 s) ago.
  const copy = spawnSync('cp', ['-rL', '--preserve=timestamps', source, dir], { encoding: 'utf8' });
  if (copy.status !== 0) throw new Error(`cp -rL ${source} ${dir} failed: ${copy.stderr}`);

  // Debian's wp-config.php reads /etc/wordpress; the .htaccess is Debian's too. php -S needs neither.
  rmSync(join(dir, '.htaccess'), { force: true });
  writeFileSync(join(dir, 'wp-config.php'), wpConfig({ dir, url, dbName, debugLog, scriptDebug }));
  // Clean plugins list; no favicon 404s under php -S.
  rmSync(join(dir, 'wp-content', 'plugins', 'akismet'), { recursive: true, force: true });
  rmSync(join(dir, 'wp-content', 'plugins', 'hello.php'), { force: true });
  writeFileSync(join(dir, 'favicon.ico'), '');
  mkdirSync(join(dir, 'wp-content', 'uploads'), { recursive: true });
  mkdirSync(join(dir, 'wp-content', 'mu-plugins'), { recursive: true });
  writeFileSync(join(dir, 'wp-content', 'mu-plugins', 'clickpath-offline.php'), OFFLINE_MU_PLUGIN);

  const wp = { name, port, dir, url, dbName, admin, debugLog, multisite, version };
  wp.php = (code) => runPhpScript(wordpressScript(wp, code), { cwd: dir, label: `PHP in WordPress ${name}` });

  await recreateDatabase(dbName);
  await runPhpScript(
    wordpressScript(
      wp,
      `
// No network during the install (it probes the not-yet-running site for pretty permalinks).
add_filter('pre_http_request', static fn () => new WP_Error('offline', 'No HTTP while installing'));
$result = wp_install('Clickpath Test', ${phpString(admin.user)}, ${phpString(admin.email)}, false, '',
  wp_slash(${phpString(admin.password)}));
if (is_wp_error($result) || empty($result['user_id'])) {
  fwrite(STDERR, 'wp_install failed: ' . print_r($result, true));
  exit(1);
}
update_option('blogname', 'Clickpath Test');
update_option('show_avatars', 0);
${
  multisite
    ? `update_option('siteurl', ${phpString(url)});
update_option('home', ${phpString(url)});
// populate_network() makes the current user the network's super admin.
wp_set_current_user($result['user_id']);
// As wp-admin/network.php does: name the network tables, which a single site's $wpdb leaves out.
foreach ($wpdb->tables('ms_global') as $table => $prefixed_table) {
  $wpdb->$table = $prefixed_table;
}
install_network();
$network = populate_network(1, ${phpString(new URL(url).host)}, ${phpString(admin.email)}, 'Clickpath Test Network', '/', false);
if (is_wp_error($network)) {
  fwrite(STDERR, 'populate_network failed: ' . $network->get_error_message());
  exit(1);
}
`
    : ''
}// Pretty permalinks, like most real sites; php -S routes unknown paths to index.php, so /wp-json/ works.
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');
flush_rewrite_rules(false);
update_option('blog_public', 0);
`,
      {
        installing: true,
        // wp_install() mails the admin; there is no mailer here.
        prelude: 'function wp_new_blog_notification() {}',
      },
    ),
    { cwd: dir, label: `Installing WordPress ${name}` },
  );
  if (multisite)
    writeFileSync(join(dir, 'wp-config.php'), wpConfig({ dir, url, dbName, debugLog, scriptDebug, multisite }));
  // Core's noise from installing on the command line (PHP 8.2 deprecations) is not the plugin's.
  writeFileSync(debugLog, '');
  return wp;
}

/** Removes a site's directory and database (stop its server first). */
export async function destroyWordPress(wp) {
  await dropDatabase(wp.dbName);
  rmSync(wp.dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Server

function portInUse(port) {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

/** A TCP port that is free on 127.0.0.1 right now. */
export function getFreePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

function httpStatus(url) {
  return new Promise((resolvePromise) => {
    const req = httpGet(url, { agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolvePromise(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolvePromise(0));
  });
}

/**
 * Whether any process of the group is still running. Zombies do not count: the workers are
 * reparented when the master dies, and whoever adopts them (PID 1 in a container) may reap late.
 */
function groupAlive(pgid) {
  if (existsSync('/proc/self/stat')) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `php -S 127.0.0.1:<port> -t <dir>` with PHP_CLI_SERVER_WORKERS=4 in its own process group
 * (stop() kills the group: killing only the master would leave the workers serving), logs to
 * <dir>/php-server.log, and waits until /wp-login.php answers 200.
 * @returns {Promise<{ url: string, pid: number, log: string, stop: () => Promise<void> }>}
 */
export async function startWordPress(wp, { workers = 4, timeoutMs = 20000 } = {}) {
  if (await portInUse(wp.port)) throw new Error(`Port ${wp.port} is already in use; cannot start WordPress ${wp.name}`);
  const log = join(wp.dir, 'php-server.log');
  const fd = openSync(log, 'a');
  const child = spawn('php', ['-S', `127.0.0.1:${wp.port}`, '-t', wp.dir], {
    cwd: wp.dir,
    detached: true, // own process group: master + workers
    stdio: ['ignore', fd, fd],
    env: { ...process.env, PHP_CLI_SERVER_WORKERS: String(workers) },
  });
  closeSync(fd);
  const pgid = child.pid;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const killOnExit = () => signalGroup(pgid, 'SIGKILL');
  process.once('exit', killOnExit);

  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      signalGroup(pgid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while ((!exited || groupAlive(pgid)) && Date.now() < deadline) await sleep(25);
      if (!exited || groupAlive(pgid)) {
        signalGroup(pgid, 'SIGKILL');
        while ((!exited || groupAlive(pgid)) && Date.now() < deadline + 2000) await sleep(25);
      }
    })();
    return stopping;
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`php -S for WordPress ${wp.name} exited early; see ${log}:\n${tail(log)}`);
    }
    const status = await httpStatus(`${wp.url}/wp-login.php`);
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`WordPress ${wp.name} did not answer 200 on /wp-login.php (last ${status}); see ${log}`);
    }
    await sleep(status === 0 ? 50 : 250);
  }
  return { url: wp.url, pid: pgid, log, stop };
}

function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Plugin, mu-plugins, logs

/**
 * Puts a plugin folder at <dir>/wp-content/plugins/clickpath (copy by default, like a real install;
 * { symlink: true } links it instead, e.g. for edit-and-rerun). The folder must hold clickpath.php.
 */
export function installPluginFrom(wp, sourceDir, { symlink = false } = {}) {
  const source = resolve(sourceDir);
  if (!existsSync(join(source, `${PLUGIN_SLUG}.php`))) {
    throw new Error(`${source} has no ${PLUGIN_SLUG}.php (the main plugin file ${PLUGIN_SLUG}/${PLUGIN_SLUG}.php)`);
  }
  const target = join(wp.dir, 'wp-content', 'plugins', PLUGIN_SLUG);
  rmSync(target, { recursive: true, force: true });
  if (symlink) symlinkSync(source, target, 'dir');
  else {
    cpSync(source, target, {
      recursive: true,
      dereference: true,
      preserveTimestamps: true,
      filter: (path) => !/(^|\/)(node_modules|\.git)(\/|$)/.test(path.slice(source.length)),
    });
  }
  return target;
}

/** Installs plugin/tests/support/query-counter.php as a must-use plugin (see that file). */
export function installQueryCounter(wp) {
  const target = join(wp.dir, 'wp-content', 'mu-plugins', 'clickpath-query-counter.php');
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(repoRoot, 'plugin', 'tests', 'support', 'query-counter.php'), target);
  return target;
}

const PHP_PROBLEM = /PHP (Warning|Notice|Deprecated|Strict Standards|Fatal error|Parse error|Recoverable fatal error)/;

/**
 * The PHP warnings, notices, deprecations and errors in the site's debug.log that concern the
 * plugin (the entry, including a fatal error's stack trace, names a file under
 * wp-content/plugins/clickpath or, when symlinked, the plugin's real folder). Core's own notices on
 * PHP 8.2 are ignored. Returns one string per log entry.
 */
export function phpWarnings(wp) {
  if (!existsSync(wp.debugLog)) return [];
  const pluginDir = join(wp.dir, 'wp-content', 'plugins', PLUGIN_SLUG);
  const paths = [`${pluginDir}/`];
  try {
    paths.push(`${realpathSync(pluginDir)}/`);
  } catch {
    // plugin not installed
  }
  const entries = [];
  for (const line of readFileSync(wp.debugLog, 'utf8').split('\n')) {
    if (/^\[[^\]]+\] /.test(line) || entries.length === 0) entries.push(line);
    else entries[entries.length - 1] += `\n${line}`;
  }
  return entries
    .map((entry) => entry.trimEnd())
    .filter((entry) => PHP_PROBLEM.test(entry) && paths.some((path) => entry.includes(path)));
}

// ---------------------------------------------------------------------------------------------
// CLI

async function main(argv) {
  const [command, name, portArg, ...rest] = argv;
  if (command !== 'up' || !name) {
    console.error(
      `Usage: node scripts/wordpress.mjs up <name> [port] [--plugin [dir]] [--multisite] [--wp <${WORDPRESS_VERSIONS.join('|')}>]`,
    );
    process.exit(2);
  }
  ensureWordPressPackages({ phpunit: false, chromium: false });
  const port = portArg && !portArg.startsWith('--') && Number(portArg) !== 0 ? Number(portArg) : await getFreePort();
  const started = Date.now();
  const version = wordpressVersionFromArgs(argv);
  const wp = await createWordPress({ name, port, multisite: argv.includes('--multisite'), version });
  const pluginIndex = argv.indexOf('--plugin');
  if (pluginIndex !== -1) {
    const pluginDir =
      argv[pluginIndex + 1] && !argv[pluginIndex + 1].startsWith('--') ? argv[pluginIndex + 1] : 'plugin';
    installPluginFrom(wp, pluginDir);
    console.log(`Plugin copied from ${resolve(pluginDir)} (activate it in wp-admin → Plugins)`);
  }
  if (rest.includes('--query-counter')) installQueryCounter(wp);
  const server = await startWordPress(wp);
  console.log(`WordPress ${wp.name} (${version}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`  Site:     ${wp.url}/`);
  console.log(`  Admin:    ${wp.url}/wp-admin/   user ${wp.admin.user}   password ${wp.admin.password}`);
  console.log(`  Files:    ${wp.dir}`);
  console.log(`  Logs:     ${wp.debugLog}, ${server.log}`);
  console.log('Ctrl-C stops the server.');
  const shutdown = async () => {
    await server.stop();
    console.log('\nStopped.');
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

function isMainModule() {
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMainModule()) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
