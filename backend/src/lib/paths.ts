import path from 'node:path';

/** The repository root, the same from src/lib (ts, jest) and dist/lib (built). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
