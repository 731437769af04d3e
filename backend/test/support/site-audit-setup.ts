import { siteKeyViolations } from './site-audit';

/**
 * Every test file ends with the shard-key audit (test/support/site-audit.ts):
 * a query the backend sent without its site, outside the documented
 * exceptions, fails the file.
 */
afterAll(() => {
  const violations = siteKeyViolations();
  if (violations.length > 0) {
    throw new Error(
      `queries without their site (add the site, or document the exception in test/support/site-audit.ts and docs/scaling.md):\n${violations
        .map((v) => `  ${v.command} ${v.collection} ${v.filter}\n    from ${v.from}`)
        .join('\n')}`,
    );
  }
});
