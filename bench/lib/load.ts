/**
 * Load for the benchmarks: closed loop (N requests in flight, as fast as the
 * server answers) and open loop (a fixed request rate, latency measured from
 * when each request was due, so a slow server cannot hide its queue). Every
 * answer is checked; a wrong one is an error, never a fast success.
 */

/** One request to send; `check` says what is wrong with its answer, or null. */
export interface Shot {
  send(): Promise<Response>;
  check(status: number, body: string): string | null;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** The first few wrong answers, for the report. */
  errorSamples: string[];
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function fire(shot: Shot, onError: (message: string) => void): Promise<void> {
  try {
    const response = await shot.send();
    const problem = shot.check(response.status, await response.text());
    if (problem) onError(problem);
  } catch (error) {
    onError(error instanceof Error ? error.message : String(error));
  }
}

function result(shots: number, latencies: number[], errors: string[], seconds: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return { requests: shots, errors: errors.length, errorSamples: errors.slice(0, 3), seconds, perSecond: shots / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Keep `concurrency` requests in flight until every shot is answered. */
export async function closedLoop(shots: Shot[], concurrency: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < shots.length) {
        const shot = shots[next++]!;
        const t = performance.now();
        await fire(shot, (message) => errors.push(message));
        latencies.push(performance.now() - t);
      }
    }),
  );
  return result(shots.length, latencies, errors, (performance.now() - started) / 1000);
}

/** Send shot i at i / rate seconds, whatever the answers; latency counts from when it was due. */
export async function openLoop(shots: Shot[], ratePerSecond: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const errors: string[] = [];
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < shots.length; i++) {
    const due = started + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(fire(shots[i]!, (message) => errors.push(message)).then(() => void latencies.push(performance.now() - due)));
  }
  await Promise.all(inFlight);
  return result(shots.length, latencies, errors, (performance.now() - started) / 1000);
}

/** The median of several runs with its range: what every figure of the report is. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0, runs: values };
}

/** The contenders in another order each run, so none always goes first (or last, with a warm cache). */
export const rotated = <T>(items: T[], run: number): T[] => items.map((_, i) => items[(i + run) % items.length]!);
