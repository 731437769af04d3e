// Empties build/ once before the two webpack configurations write into it side by side.
import { rmSync } from 'node:fs';

rmSync(new URL('../build', import.meta.url), { recursive: true, force: true });
