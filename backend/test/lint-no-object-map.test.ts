import { RuleTester, type Rule } from 'eslint';
import tseslint from 'typescript-eslint';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the rule is CommonJS so both ESLint and jest load it
const rule = require('../../scripts/eslint/no-object-map.cjs') as Rule.RuleModule;

/**
 * The lint rule behind "no plain-object maps keyed by user data" (issue 17, item 8): it
 * flags `{}` written with computed keys, and leaves Maps, null-prototype objects and
 * literal keys alone.
 */
const tester = new RuleTester({ languageOptions: { parser: tseslint.parser } });

// RuleTester makes a jest test of each case (describe/it are globals here).
describe('clickpath/no-object-map', () => {
  tester.run('no-object-map', rule, {
    valid: [
      'const counts = new Map(); for (const e of events) counts.set(e.name, (counts.get(e.name) ?? 0) + 1);',
      'const counts = Object.create(null); for (const e of events) counts[e.name] = 1;',
      "const body = {}; body['fixed'] = 1; body.other = 2;",
      'const list = []; list[i] = 1;',
      'const byName = Object.fromEntries(events.map((e) => [e.name, e]));',
    ],
    invalid: [
      {
        code: 'const counts = {}; for (const e of events) counts[e.name] = (counts[e.name] ?? 0) + 1;',
        errors: [{ messageId: 'objectMap' }],
      },
      {
        code: 'const counts: Record<string, number> = {}; counts[key] ??= 0; counts[key]++;',
        errors: [{ messageId: 'objectMap' }, { messageId: 'objectMap' }],
      },
      { code: 'const rows = byDay.get(day) ?? {}; rows[path] = row;', errors: [{ messageId: 'objectMap' }] },
      { code: 'const out = {} as Record<string, number>; out[`k${i}`] = 1;', errors: [{ messageId: 'objectMap' }] },
    ],
  });
});
