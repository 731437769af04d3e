// Builds the tracker: esbuild (TypeScript → minified IIFE), then terser when it
// saves bytes. Writes dist/clickpath.js and plugin/assets/clickpath.js, prints
// the sizes and exits non-zero when the gzipped file exceeds the budget.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { minify } from 'terser';

export const BUDGET = 800;

const here = dirname(fileURLToPath(import.meta.url));
const outputs = [join(here, 'dist/clickpath.js'), join(here, '../../plugin/assets/clickpath.js')];

const gz = (code) => gzipSync(code, { level: 9 }).length;

const bundled = await build({
  entryPoints: [join(here, 'src/clickpath.ts')],
  bundle: true,
  format: 'iife',
  // es2021 for `||=` (Chrome 85, Firefox 79, Safari 14); es2020 (`?.`) was the floor before.
  target: 'es2021',
  minify: true,
  legalComments: 'none',
  // No "use strict" prologue: 13 bytes the tracker does not need.
  tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
  write: false,
});
const esbuilt = bundled.outputFiles[0].text.trim();

const tersed = (
  await minify(esbuilt, {
    ecma: 2021,
    // booleans_as_integers: `true` → `1` is safe here (capture flag, keepalive are coerced).
    compress: {
      passes: 4,
      booleans_as_integers: true,
      unsafe: true,
      unsafe_arrows: true,
      unsafe_comps: true,
      unsafe_methods: true,
      pure_getters: true,
      toplevel: true,
    },
    mangle: { toplevel: true },
    format: { wrap_func_args: false },
  })
).code;

const code = gz(tersed) < gz(esbuilt) ? tersed : esbuilt;
for (const file of outputs) {
  mkdirSync(dirname(file), { recursive: true });
  // Write then rename, so a reader (a test running in parallel) never sees half a file.
  writeFileSync(`${file}.${process.pid}.tmp`, code + '\n');
  renameSync(`${file}.${process.pid}.tmp`, file);
}

const size = gz(code + '\n');
console.log(
  `tracker: ${code.length + 1} bytes, ${size} bytes gzipped (budget ${BUDGET}; esbuild ${gz(esbuilt)}, terser ${gz(tersed)})`,
);
if (size > BUDGET) {
  console.error(`tracker: gzipped size ${size} exceeds the ${BUDGET}-byte budget`);
  process.exitCode = 1;
}
