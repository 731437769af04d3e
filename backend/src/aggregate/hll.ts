import { createHash } from 'node:crypto';

/**
 * HyperLogLog with p = 12 (4096 registers, standard error ≈ 1.04/√4096 ≈ 1.6%),
 * kept sparse as `{ registerIndex: rank }` so a day's sketch can be updated with
 * `$max` on `hll.<index>` — commutative and safe to repeat.
 */
export const HLL_PRECISION = 12;
export const HLL_REGISTERS = 1 << HLL_PRECISION;
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(HLL_REGISTERS);

export type Registers = Record<string, number>;

/** Register index and rank (position of the first 1 bit after the index bits) of one value. */
export function hllPosition(value: string): { index: number; rank: number } {
  const digest = createHash('md5').update(value).digest();
  const hi = digest.readUInt32BE(0);
  const lo = digest.readUInt32BE(4);
  const index = hi >>> (32 - HLL_PRECISION);
  const rest = hi & ((1 << (32 - HLL_PRECISION)) - 1);
  const rank =
    rest !== 0 ? Math.clz32(rest) - HLL_PRECISION + 1 : 32 - HLL_PRECISION + (lo !== 0 ? Math.clz32(lo) + 1 : 33);
  return { index, rank };
}

/** Adds a value to the registers in place; returns them. */
export function add(registers: Registers, value: string): Registers {
  const { index, rank } = hllPosition(value);
  const key = String(index);
  if ((registers[key] ?? 0) < rank) registers[key] = rank;
  return registers;
}

/** The union of sketches: register-wise maximum. */
export function merge(...sketches: Array<Registers | undefined>): Registers {
  const out: Registers = {};
  for (const sketch of sketches) {
    if (!sketch) continue;
    for (const [key, rank] of Object.entries(sketch)) {
      if ((out[key] ?? 0) < rank) out[key] = rank;
    }
  }
  return out;
}

/** Estimated number of distinct values (HLL with linear counting for small cardinalities). */
export function estimate(registers: Registers): number {
  const m = HLL_REGISTERS;
  let sum = 0;
  let filled = 0;
  for (const rank of Object.values(registers)) {
    if (rank <= 0) continue;
    sum += 2 ** -rank;
    filled += 1;
  }
  const zeros = m - filled;
  sum += zeros;
  const alpha = 0.7213 / (1 + 1.079 / m);
  const raw = (alpha * m * m) / sum;
  if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
  return Math.round(raw);
}
