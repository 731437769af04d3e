import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * docs/architecture.md names files so a newcomer can open them ("Where is X"): every
 * path it names in backticks, and every relative link, must exist. A path is read from
 * the repository root when it starts with one of its top-level folders, else from
 * backend/src (where the map's domain paths live); a placeholder (`admin-ui/src/<screen>/`)
 * is checked up to it.
 */
const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'backend', 'src');
const DOC = join(ROOT, 'docs', 'architecture.md');
const text = readFileSync(DOC, 'utf8');

const topLevel = new Set(readdirSync(ROOT).filter((name) => !name.startsWith('.')));
const srcLevel = new Set(readdirSync(SRC));
/** A file name with an extension the repository's sources use. */
const SOURCE_FILE = /\.(ts|tsx|mjs|js|php|md|json|txt)$/;

/** The backticked tokens that name repository paths, with the folder each is read from. */
function namedPaths(): Array<{ token: string; base: string }> {
  const found: Array<{ token: string; base: string }> = [];
  for (const [, token] of text.matchAll(/`([^`\s]+)`/g)) {
    if (!token?.includes('/') || token.startsWith('/') || /[:${}(),]/.test(token)) continue;
    const first = token.split('/')[0]!;
    if (topLevel.has(first)) found.push({ token, base: ROOT });
    else if (srcLevel.has(first)) found.push({ token, base: SRC });
    else if (SOURCE_FILE.test(token)) found.push({ token, base: '' });
  }
  return found;
}

const exists = (base: string, token: string) => {
  const checked = token.split(/[<*]/)[0]!;
  return base !== '' && existsSync(join(base, checked));
};

describe('docs/architecture.md', () => {
  test('when it names a repository path in backticks, then the path exists', () => {
    const paths = namedPaths();
    expect(paths.length).toBeGreaterThan(30);
    expect(paths.filter(({ base, token }) => !exists(base, token)).map((p) => p.token)).toEqual([]);
  });

  test('when it links to a file of the repository, then the file exists', () => {
    const links = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z]+:/.test(target));
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((target) => !existsSync(join(dirname(DOC), target)))).toEqual([]);
  });

  test('when the map of where things are is read, then it names at least ten things, each with a path', () => {
    const map = text.slice(text.indexOf('## Where is X'), text.indexOf('\n## ', text.indexOf('## Where is X') + 1));
    const rows = map.split('\n').filter((line) => line.startsWith('|') && !/^\|\s*(-|looking for)/.test(line));
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const row of rows) expect(row).toMatch(/`[^`]+\/[^`]+`/);
  });
});
