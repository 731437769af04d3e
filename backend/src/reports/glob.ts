/**
 * A page pattern as goals use it: `*` matches any run of characters (none,
 * slashes and line breaks included); every other character matches only itself,
 * case-sensitively; the whole text must match.
 *
 * The pattern is cut at its stars once. A text must start with the first part,
 * end with the last, and hold the parts between in order, each found at its
 * earliest place after the previous one: taking the earliest never loses a
 * match, so nothing is retried. No regular expression is built from the
 * pattern, whose backtracking made a pattern like `*a*a…*b` run for minutes.
 */
export function globMatcher(pattern: string): (text: string) => boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return (text) => text === pattern;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  const fixed = first.length + last.length;
  return (text) => {
    if (text.length < fixed || !text.startsWith(first) || !text.endsWith(last)) return false;
    const end = text.length - last.length;
    let at = first.length;
    for (const part of middle) {
      const found = text.indexOf(part, at);
      if (found < 0 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}
