import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * HyperLogLog with p = 12 (4096 registers, standard error ≈ 1.04/√4096 ≈ 1.6%).
 * A day's registers are stored as one deflated base64url string (see `encode`):
 * FerretDB converts one short string far faster than 4,096 fields, and the
 * bytes a report reads are what its latency grows with.
 */
export const HLL_PRECISION = 12;
export const HLL_REGISTERS = 1 << HLL_PRECISION;
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(HLL_REGISTERS);

/** One rank (0 = empty) per register. */
export type Registers = Uint8Array;

export function createRegisters(): Registers {
  return new Uint8Array(HLL_REGISTERS);
}

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
  if (registers[index]! < rank) registers[index] = rank;
  return registers;
}

/** Estimated number of distinct values (HLL with linear counting for small cardinalities). */
export function estimate(registers: Registers): number {
  const m = HLL_REGISTERS;
  let sum = 0;
  let zeros = 0;
  for (const rank of registers) {
    sum += 2 ** -rank;
    if (rank === 0) zeros += 1;
  }
  const alpha = 0.7213 / (1 + 1.079 / m);
  const raw = (alpha * m * m) / sum;
  if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
  return Math.round(raw);
}

/**
 * The registers deflated, as base64url: ~1–2.5 KB for a busy day (ranks are
 * small and repeat), a few dozen bytes for a quiet one, instead of 4 KB.
 */
export function encode(registers: Registers): string {
  return deflateRawSync(registers).toString('base64url');
}

/** Merges an `encode`d sketch into `into`; returns `into`. */
export function mergeEncoded(into: Registers, encoded: string): Registers {
  const from = inflateRawSync(Buffer.from(encoded, 'base64url'));
  for (let i = 0; i < HLL_REGISTERS; i++) if (into[i]! < from[i]!) into[i] = from[i]!;
  return into;
}
