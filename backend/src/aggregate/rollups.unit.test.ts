import { add, createRegisters, encode } from './hll';
import { counters, setKeyedRows, toRow, uniqueVisitors, type DayRollup, type KeyedData } from './rollups';

describe('rollup rows: counters in the order of COUNTERS, trailing zeros left out', () => {
  it.each<[string, Parameters<typeof toRow>[0], number[]]>([
    ['nothing', {}, []],
    ['zeros only', { pageviews: 0, visits: 0 }, []],
    ['pageviews', { pageviews: 3 }, [3]],
    ['visitors (third)', { visitors: 2 }, [0, 0, 2]],
    ['a negative delta', { visits: -1, bounces: -1 }, [0, -1, 0, -1]],
    ['not found (last)', { notFound: 1, pageviews: 1 }, [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
  ])('when the counters are %s, then the row is %j and reads back the same', (_label, values, row) => {
    expect(toRow(values)).toEqual(row);
    const read = counters(row);
    for (const [counter, n] of Object.entries(values)) expect(read[counter as keyof typeof read]).toBe(n);
    expect(Object.values(read).filter((n) => n !== 0)).toHaveLength(
      Object.values(values).filter((n) => n !== 0).length,
    );
  });

  it('when a row is missing, then every counter reads 0', () => {
    expect(Object.values(counters(undefined)).every((n) => n === 0)).toBe(true);
  });
});

describe('keyed rows of a month document', () => {
  it('when days share keys, then each key is stored once and each day refers to it', () => {
    const data: KeyedData = { k: [], d: {} };
    setKeyedRows(
      data,
      '2026-03-10',
      new Map([
        ['/a', [1]],
        ['/b', [2]],
      ]),
    );
    setKeyedRows(data, '2026-03-11', { '/b': [3], '/c': [4] });
    expect(data).toEqual({
      k: ['/a', '/b', '/c'],
      d: {
        '2026-03-10': [
          [0, 1],
          [1, 2],
        ],
        '2026-03-11': [
          [1, 3],
          [2, 4],
        ],
      },
    });
  });
});

describe('uniqueVisitors', () => {
  const day = (visitors: number, ids: string[]): DayRollup => {
    const registers = createRegisters();
    for (const id of ids) add(registers, id);
    return { day: '', totals: { ...counters(undefined), visitors }, sketch: encode(registers) };
  };

  it.each<[string, DayRollup[], { visitors: number; exact: boolean }]>([
    ['no day', [], { visitors: 0, exact: true }],
    ['one day: its exact counter', [day(3, ['a', 'b'])], { visitors: 3, exact: true }],
    [
      'two days sharing a visitor: counted once',
      [day(2, ['a', 'b']), day(2, ['b', 'c'])],
      { visitors: 3, exact: false },
    ],
    [
      'a day without a sketch',
      [day(2, ['a', 'b']), { ...day(5, []), sketch: undefined }],
      { visitors: 2, exact: false },
    ],
  ])('when the range has %s, then it has %j', (_label, days, expected) => {
    expect(uniqueVisitors(days)).toEqual(expected);
  });
});
