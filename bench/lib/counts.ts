/**
 * Measured counts against their expectations (bench/expected-counts.ts):
 * which rose above theirs (the run fails), which fell below (the
 * expectation should come down).
 */

export interface MeasuredCount<Name extends string = string> {
  name: Name;
  /** Where it was measured, e.g. `ours, concurrency 32`. */
  where: string;
  value: number;
}

export interface CountVerdict {
  risen: string[];
  lowered: string[];
}

/** Counts are averages over many requests: a difference below this is rounding, not a statement. */
const EPSILON = 1e-9;

const format = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(3));

export function compareCounts<Name extends string>(measured: MeasuredCount<Name>[], expected: Record<Name, number>): CountVerdict {
  const verdict: CountVerdict = { risen: [], lowered: [] };
  for (const { name, where, value } of measured) {
    const limit = expected[name];
    if (value > limit + EPSILON) verdict.risen.push(`${name} (${where}): ${format(value)}, expected at most ${limit}`);
    else if (value < limit - EPSILON) verdict.lowered.push(`${name} (${where}): ${format(value)}, below the expected ${limit}`);
  }
  return verdict;
}
