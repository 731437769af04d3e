#!/usr/bin/env node
// Builds the installable plugin: copies the admin-ui bundles and the tracker into
// plugin/, writes languages/clickpath.pot, and zips the plugin into dist/clickpath.zip
// (a `clickpath/` folder, as WordPress's "Upload Plugin" expects). Run by `npm run build`
// after admin-ui and the tracker are built.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { zipSync } from 'fflate';
import ts from 'typescript';

const plugin = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(plugin, '..');
const ENTRIES = ['stats', 'widget', 'settings'];
/** What ships; tests, benchmarks and build scripts stay in the repository. */
const SHIPPED = [
  'clickpath.php',
  'relay.php',
  'uninstall.php',
  'readme.txt',
  'includes',
  'assets',
  'build',
  'languages',
];

function fail(message) {
  console.error(`✖ ${message}`);
  process.exit(1);
}

function copyAdminBundles() {
  const source = join(root, 'admin-ui', 'build');
  const target = join(plugin, 'build');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const entry of ENTRIES) {
    const files = readdirSync(source).filter((f) => f.startsWith(`${entry}.`) || f.startsWith(`${entry}-`));
    if (!files.includes(`${entry}.js`) || !files.includes(`${entry}.asset.php`)) {
      fail(`admin-ui/build/${entry}.js is missing: run npm run build -w admin-ui first`);
    }
    for (const file of files) copyFileSync(join(source, file), join(target, file));
  }
  if (!existsSync(join(plugin, 'assets', 'clickpath.js'))) {
    fail('plugin/assets/clickpath.js is missing: run npm run build:tracker -w backend first');
  }
}

const KEYWORDS = { __: ['msgid'], _e: ['msgid'], _x: ['msgid', 'msgctxt'], _n: ['msgid', 'msgid_plural'] };

/** Translatable strings in admin-ui's TypeScript, found with the compiler's own parser. */
function scriptStrings() {
  const found = [];
  const visit = (file, node, sourceFile) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && KEYWORDS[node.expression.text]) {
      const fields = KEYWORDS[node.expression.text];
      const args = node.arguments;
      const domain = args[fields.length + (node.expression.text === '_n' ? 1 : 0)];
      if (domain && ts.isStringLiteralLike(domain) && domain.text === 'clickpath') {
        const entry = {
          reference: `${relative(root, file)}:${sourceFile.getLineAndCharacterOfPosition(node.getStart()).line + 1}`,
        };
        fields.forEach((field, i) => {
          if (args[i] && ts.isStringLiteralLike(args[i])) entry[field] = args[i].text;
        });
        if (entry.msgid) found.push(entry);
      }
    }
    ts.forEachChild(node, (child) => visit(file, child, sourceFile));
  };
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !path.includes(`${join('src', 'dashboard')}`)) {
        const sourceFile = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
        visit(path, sourceFile, sourceFile);
      }
    }
  };
  walk(join(root, 'admin-ui', 'src'));
  return found;
}

const quote = (text) =>
  `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;

/** The .pot: admin-ui strings first, then xgettext adds the PHP ones (with translator comments). */
function writePot() {
  const pot = join(plugin, 'languages', 'clickpath.pot');
  mkdirSync(dirname(pot), { recursive: true });
  const merged = new Map();
  for (const entry of scriptStrings()) {
    const key = `${entry.msgctxt ?? ''}\u0004${entry.msgid}`;
    const known = merged.get(key);
    if (known) known.references.push(entry.reference);
    else merged.set(key, { ...entry, references: [entry.reference] });
  }
  const header = [
    '# Copyright (C) Clickpath contributors',
    '# This file is distributed under the GPL-2.0-or-later license.',
    'msgid ""',
    'msgstr ""',
    '"Project-Id-Version: Clickpath\\n"',
    '"MIME-Version: 1.0\\n"',
    '"Content-Type: text/plain; charset=UTF-8\\n"',
    '"Content-Transfer-Encoding: 8bit\\n"',
    '"X-Domain: clickpath\\n"',
    '',
  ];
  const body = [...merged.values()].flatMap((e) => [
    `#: ${e.references.join(' ')}`,
    ...(e.msgctxt ? [`msgctxt ${quote(e.msgctxt)}`] : []),
    `msgid ${quote(e.msgid)}`,
    ...(e.msgid_plural ? [`msgid_plural ${quote(e.msgid_plural)}`, 'msgstr[0] ""', 'msgstr[1] ""'] : ['msgstr ""']),
    '',
  ]);
  writeFileSync(pot, [...header, ...body].join('\n'));
  const php = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.php')) php.push(relative(root, path));
    }
  };
  for (const part of ['clickpath.php', 'uninstall.php', 'includes']) {
    const path = join(plugin, part);
    if (statSync(path).isDirectory()) walk(path);
    else php.push(relative(root, path));
  }
  const keywords = ['__', '_e', '_x:1,2c', '_n:1,2', 'esc_html__', 'esc_html_e', 'esc_attr__', 'esc_attr_e'];
  const result = spawnSync(
    'xgettext',
    [
      '--join-existing',
      '--language=PHP',
      '--from-code=UTF-8',
      '--add-comments=translators:',
      '--sort-by-file',
      '--no-wrap',
      ...keywords.map((k) => `--keyword=${k}`),
      `--output=${relative(root, pot)}`,
      ...php.sort(),
    ],
    { cwd: root, encoding: 'utf8' },
  );
  if (result.error || result.status !== 0) {
    fail(`xgettext failed (${result.error?.message ?? result.stderr}); install it with: apt-get install gettext`);
  }
  const count = (readFileSync(pot, 'utf8').match(/^msgid "(?!")/gm) ?? []).length;
  console.log(`✔ plugin/languages/clickpath.pot: ${count} strings`);
}

function zipPlugin() {
  const files = {};
  const add = (path) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)) add(join(path, name));
    } else {
      files[`clickpath/${relative(plugin, path)}`] = readFileSync(path);
    }
  };
  for (const part of SHIPPED) add(join(plugin, part));
  const out = join(root, 'dist', 'clickpath.zip');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, zipSync(files, { level: 9 }));
  console.log(`✔ dist/clickpath.zip: ${Object.keys(files).length} files, ${(statSync(out).size / 1024).toFixed(1)} KB`);
}

copyAdminBundles();
writePot();
zipPlugin();
