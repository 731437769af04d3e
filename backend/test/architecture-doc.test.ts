import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * docs/architecture.md names files so a newcomer can open them ("Where is X"): every
 * path it names in backticks, and every relative link, must exist. A path is read from
 * the repository root, or from the source folder of the package the text is about
 * (backend/src for the map's domain paths, admin-ui/src for `data/types.ts`); a
 * placeholder (`admin-ui/src/<screen>/`) is checked up to it.
 */
const ROOT = join(__dirname, '..', '..');
const BASES = [ROOT, join(ROOT, 'backend', 'src'), join(ROOT, 'backend'), join(ROOT, 'admin-ui', 'src')];
const DOC = join(ROOT, 'docs', 'architecture.md');
const text = readFileSync(DOC, 'utf8');
/**
 * The documents that say where each bound is enforced and which test attacks it
 * (limits.md, security.md): a path there that no longer exists sends a reader nowhere.
 */
const WHERE_DOCS = ['limits.md', 'security.md'];

const entries = new Set(BASES.flatMap((base) => readdirSync(base).filter((name) => !name.startsWith('.'))));
/** A file name with an extension the repository's sources use. */
const SOURCE_FILE = /\.(ts|tsx|mjs|js|php|md|json|txt)$/;

/** The backticked tokens that name repository paths: they start with an entry of a base, or name a source file. */
function namedPaths(doc = text): string[] {
  const found: string[] = [];
  for (const [, token] of doc.matchAll(/`([^`\s]+)`/g)) {
    if (!token?.includes('/') || token.startsWith('/') || /[:${}(),]/.test(token)) continue;
    if (entries.has(token.split('/')[0]!) || SOURCE_FILE.test(token)) found.push(token);
  }
  return found;
}

const exists = (token: string) => BASES.some((base) => existsSync(join(base, token.split(/[<*]/)[0]!)));

describe('docs/architecture.md', () => {
  test('when it names a repository path in backticks, then the path exists', () => {
    const paths = namedPaths();
    expect(paths.length).toBeGreaterThan(30);
    expect(paths.filter((token) => !exists(token))).toEqual([]);
  });

  test.each(WHERE_DOCS)('when docs/%s names a repository path in backticks, then the path exists', (name) => {
    const paths = namedPaths(readFileSync(join(ROOT, 'docs', name), 'utf8'));
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.filter((token) => !exists(token))).toEqual([]);
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
