/** Waiting on the database's clock, which the write limits count by. */
import { prisma } from './prisma';

/**
 * Returns once at least `seconds` remain in the database's current minute
 * (waiting for the next one if needed), so that a burst of writes falls in
 * one rate-limit window.
 */
export async function withinOneDatabaseMinute(seconds: number): Promise<void> {
  const [{ second }] = (await prisma().$queryRaw<{ second: number }[]>`SELECT extract(second FROM now())::float AS second`) as [{ second: number }];
  if (60 - second < seconds) await new Promise((resolve) => setTimeout(resolve, (60.5 - second) * 1000));
}
