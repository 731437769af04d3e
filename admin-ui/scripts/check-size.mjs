// Prints the gzipped size of the wp-admin bundles and fails the build when one is over its budget.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
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
// The standalone dashboard's bundle carries a content hash in its name; the backend sends its .br copy.
const dashboardDir = new URL('../build/dashboard/', import.meta.url);
const bundle = existsSync(dashboardDir) && readdirSync(dashboardDir).find((f) => /^dashboard\.[0-9a-f]+\.js$/.test(f));
if (bundle) {
  const kb = (file) => (readFileSync(new URL(file, dashboardDir)).length / 1024).toFixed(1);
  console.log(
    `  build/dashboard/${bundle}: ${kb(bundle)} KB, sent as ${kb(`${bundle}.br`)} KB brotli or ${kb(`${bundle}.gz`)} KB gzip (standalone, bundles React and WordPress packages; no budget)`,
  );
}
if (over) {
  console.error('Bundle budget exceeded.');
  process.exit(1);
}
