import {
  HLL_REGISTERS,
  HLL_STANDARD_ERROR,
  add,
  createRegisters,
  encode,
  estimate,
  mergeEncoded,
  type Registers,
} from './hll';

function sketchOf(ids: Iterable<string>): Registers {
  const registers = createRegisters();
  for (const id of ids) add(registers, id);
  return registers;
}

const ids = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${prefix}${(from + i).toString(36)}`);

describe('hyperloglog', () => {
  it.each([1_000, 10_000, 100_000])(
    'when %i distinct ids are added, then the estimate is within 3 standard errors (≤ 5%%)',
    (n) => {
      const error = Math.abs(estimate(sketchOf(ids('visitor-', 0, n))) - n) / n;
      expect(error).toBeLessThanOrEqual(Math.min(3 * HLL_STANDARD_ERROR, 0.05));
    },
  );

  it('when the same ids are seen on two days, then the merged sketch does not count them twice', () => {
    const monday = sketchOf(ids('v', 0, 20_000));
    const tuesday = sketchOf(ids('v', 10_000, 30_000));
    const both = mergeEncoded(monday.slice(), encode(tuesday));
    expect(mergeEncoded(monday.slice(), encode(monday))).toEqual(monday);
    expect(both).toEqual(sketchOf(ids('v', 0, 30_000)));
    expect(Math.abs(estimate(both) - 30_000) / 30_000).toBeLessThanOrEqual(0.05);
  });

  it.each([10, 50_000])(
    'when a sketch of %i ids is encoded, then it is compact and decodes to the same registers',
    (n) => {
      const sketch = sketchOf(ids('e', 0, n));
      const encoded = encode(sketch);
      expect(encoded.length).toBeLessThan(HLL_REGISTERS / 1.5);
      expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(mergeEncoded(createRegisters(), encoded)).toEqual(sketch);
    },
  );

  it('when a few ids are added, then linear counting gives them (almost) exactly', () => {
    expect(estimate(createRegisters())).toBe(0);
    expect(estimate(sketchOf(['a']))).toBe(1);
    expect(estimate(sketchOf(ids('x', 0, 100)))).toBeGreaterThanOrEqual(98);
    expect(estimate(sketchOf(ids('x', 0, 100)))).toBeLessThanOrEqual(102);
  });

  it('when the same id is added again, then the registers do not change', () => {
    const once = sketchOf(['same']);
    expect(add(once.slice(), 'same')).toEqual(once);
  });
});
