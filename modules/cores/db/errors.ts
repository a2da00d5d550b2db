/**
 * Recognising database errors through Prisma 7's driver-adapter error shape,
 * which moved the details: a unique violation is P2002 with no `meta.target`,
 * the PostgreSQL code under `meta.driverAdapterError.cause` (FACTS.md). We
 * look at every level of the error for the codes we know.
 */

const UNIQUE_VIOLATION = '23505';
const DEADLOCK = '40P01';
const SERIALIZATION_FAILURE = '40001';

/** Every `code`/`originalCode`/`kind` string found in the error, its causes and meta. */
function codesOf(error: unknown, depth = 0, found = new Set<string>()): Set<string> {
  if (!error || typeof error !== 'object' || depth > 6) return found;
  const record = error as Record<string, unknown>;
  for (const key of ['code', 'originalCode', 'kind']) {
    if (typeof record[key] === 'string') found.add(record[key]);
  }
  for (const key of ['cause', 'meta', 'driverAdapterError', 'error']) codesOf(record[key], depth + 1, found);
  return found;
}

export function isUniqueViolation(error: unknown): boolean {
  const codes = codesOf(error);
  return codes.has('P2002') || codes.has(UNIQUE_VIOLATION) || codes.has('UniqueConstraintViolation');
}

/** Conflicts that a retry of the whole transaction resolves. */
export function isRetryableConflict(error: unknown): boolean {
  const codes = codesOf(error);
  return isUniqueViolation(error) || codes.has(DEADLOCK) || codes.has(SERIALIZATION_FAILURE) || codes.has('P2034') || codes.has('TransactionWriteConflict');
}

/** The database cannot be reached or is going away: the caller should come back later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const codes = codesOf(error);
  const unavailable = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300', 'P1001', 'P1002', 'P1017', 'P2024', 'DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout'];
  if (unavailable.some((code) => codes.has(code))) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /connection terminated|timeout exceeded when trying to connect|Connection terminated unexpectedly|terminating connection|encountered a connection error|Can.t reach database server|the database system is (shutting down|starting up)/i.test(message);
}
