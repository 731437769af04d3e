import { Types } from 'mongoose';

import { MAX_KEYS_PER_VISITOR_DAY } from './limits';
import { visitorDayKey } from './state';
import { visitorDayLedger } from './visitor-days';

const SITE = new Types.ObjectId('5f0000000000000000000001');
const DAY = '2026-03-10';
const ID = visitorDayKey(SITE, DAY, 'f:alice');
const visit = (id: string) => ({ siteId: SITE, day: DAY, vid: 'f:alice', _id: id });

/** A base of key sets, frozen: a ledger that changed what it was given would throw. */
const base = (keys: string[]) => new Map([[ID, Object.freeze([...keys]) as readonly string[]]]);

describe('visitorDayLedger.count', () => {
  const full = Array.from({ length: MAX_KEYS_PER_VISITOR_DAY }, (_, i) => `page|/${i}`);
  it.each<[string, string[], string[], boolean[], string[] | undefined]>([
    ['a new key', [], ['all|'], [true], ['all|']],
    ['the same key twice', [], ['all|', 'all|'], [true, false], ['all|']],
    ['a key the day already has', ['all|'], ['all|'], [false], undefined],
    ['a new key beside known ones', ['all|'], ['page|/'], [true], ['all|', 'page|/']],
    ['a new key past the bound', full, ['page|/new'], [false], undefined],
    ['a new key one under the bound', full.slice(1), ['page|/new'], [true], [...full.slice(1), 'page|/new']],
  ])(
    'when a visitor with %j is counted, then each count answers as listed and the day keeps the keys',
    (_label, known, keys, answers, changed) => {
      const ledger = visitorDayLedger(base(known));
      expect(keys.map((key) => ledger.count(SITE, DAY, 'f:alice', key))).toEqual(answers);
      expect(ledger.changes()).toEqual(changed ? [[ID, changed]] : []);
    },
  );
});

describe('visitorDayLedger.moveExit', () => {
  it.each<[string, string[], string, string, { left: number; arrived: number }, string[]]>([
    ['a first exit page', [], '', '/a', { left: 0, arrived: 1 }, ['exit_page|/a|v1']],
    ['a move to another page', ['exit_page|/a|v1'], '/a', '/b', { left: -1, arrived: 1 }, ['exit_page|/b|v1']],
    [
      'a move from a page another visit also ends at',
      ['exit_page|/a|v0', 'exit_page|/a|v1'],
      '/a',
      '/b',
      { left: 0, arrived: 1 },
      ['exit_page|/a|v0', 'exit_page|/b|v1'],
    ],
    [
      'a move to a page another visit ends at',
      ['exit_page|/b|v0', 'exit_page|/a|v1'],
      '/a',
      '/b',
      { left: -1, arrived: 0 },
      ['exit_page|/b|v0', 'exit_page|/b|v1'],
    ],
  ])('when %s, then the page visitors change by %j', (_label, known, from, to, change, keys) => {
    const ledger = visitorDayLedger(base(known));
    expect(ledger.moveExit(visit('v1'), from, to)).toEqual(change);
    expect(ledger.changes()).toEqual([[ID, keys]]);
  });
});

describe('visitorDayLedger.convert', () => {
  it.each<[string, string[], number, { was: number | undefined; counted: boolean }, string[]]>([
    ['a first conversion', [], 2, { was: undefined, counted: true }, ['goal|g|2']],
    ['a conversion with a smaller lag', ['goal|g|2'], 0, { was: 2, counted: true }, ['goal|g|0']],
    ['a conversion with the same lag', ['goal|g|1'], 1, { was: 1, counted: false }, ['goal|g|1']],
    ['a conversion with a larger lag', ['goal|g|0'], 3, { was: 0, counted: false }, ['goal|g|0']],
  ])('when %s comes, then it answers %j', (_label, known, lag, answer, keys) => {
    const ledger = visitorDayLedger(base(known));
    expect(ledger.convert(visit('v1'), 'g', lag)).toEqual(answer);
    expect(ledger.changes()).toEqual([[ID, keys]]);
  });
});

describe('visitorDayLedger, count after the keys were moved or replaced', () => {
  it.each<[string, (ledger: ReturnType<typeof visitorDayLedger>) => void, string, boolean]>([
    ['an exit marker moved onto a page', (l) => l.moveExit(visit('v1'), '', '/a'), 'exit_page|/a|v1', false],
    ['an exit marker moved away from a page', (l) => l.moveExit(visit('v1'), '/a', '/b'), 'exit_page|/a|v1', true],
    ['a conversion replaced by a smaller lag', (l) => l.convert(visit('v1'), 'g', 0), 'goal|g|2', true],
    ['a conversion replaced by a smaller lag', (l) => l.convert(visit('v1'), 'g', 0), 'goal|g|0', false],
  ])('when %s, then counting %j answers %j', (_label, change, key, answer) => {
    const ledger = visitorDayLedger(base(['all|', 'goal|g|2', 'exit_page|/a|v1']));
    expect(ledger.count(SITE, DAY, 'f:alice', 'all|')).toBe(false);
    change(ledger);
    expect(ledger.count(SITE, DAY, 'f:alice', key)).toBe(answer);
  });

  it('when one visitor is counted under thousands of keys, then each answer still comes from the whole day', () => {
    const ledger = visitorDayLedger(base([]));
    const keys = Array.from({ length: 3 * MAX_KEYS_PER_VISITOR_DAY }, (_, i) => `event_prop|${i}`);
    const answers = [...keys, ...keys].map((key) => ledger.count(SITE, DAY, 'f:alice', key));
    expect(answers.filter(Boolean)).toHaveLength(MAX_KEYS_PER_VISITOR_DAY);
    expect(answers.slice(0, MAX_KEYS_PER_VISITOR_DAY).every(Boolean)).toBe(true);
    expect(ledger.changes()).toEqual([[ID, keys.slice(0, MAX_KEYS_PER_VISITOR_DAY)]]);
  });
});
