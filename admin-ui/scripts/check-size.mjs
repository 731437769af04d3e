// Prints the gzipped size of the wp-admin bundles and fails the build when one is over its budget.
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGETS = [
  { file: 'stats.js', kb: 60, note: 'report panel incl. uPlot' },
  { file: 'widget.js', kb: 15, note: 'dashboard widget' },
  { file: 'settings.js', kb: 30, note: 'settings screen' },
];

let over = false;
for (const { file, kb, note } of BUDGETS) {
  const path = new URL(`../build/${file}`, import.meta.url);
  if (!existsSync(path)) {
    console.error(`✖ build/${file} is missing`);
    over = true;
    continue;
  }
  const size = gzipSync(readFileSync(path), { level: 9 }).length / 1024;
  const ok = size <= kb;
  if (!ok) over = true;
  console.log(`${ok ? '✔' : '✖'} build/${file}: ${size.toFixed(1)} KB gz (budget ${kb} KB, ${note})`);
}
const dashboard = new URL('../build/dashboard/dashboard.js', import.meta.url);
if (existsSync(dashboard)) {
  const size = gzipSync(readFileSync(dashboard), { level: 9 }).length / 1024;
  console.log(
    `  build/dashboard/dashboard.js: ${size.toFixed(1)} KB gz (standalone, bundles React and WordPress packages; no budget)`,
  );
}
if (over) {
  console.error('Bundle budget exceeded.');
  process.exit(1);
}
