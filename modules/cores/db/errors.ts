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

/**
 * Ways a database, a pooler in front of it (PgBouncer, Supavisor, RDS Proxy)
 * or a managed host (Neon, Supabase) says "not reachable right now": every
 * SQLSTATE of class 08 (connection exception; PgBouncer reports its own
 * outages as 08P01, e.g. "server login has been failing"), the server
 * shutting down or starting (57P0x), too many connections, the network
 * errors of the driver, and Prisma's "cannot reach / timed out" codes.
 */
const UNAVAILABLE_CODES = new Set([
  '57P01', '57P02', '57P03', '57P05', '53300', '53400',
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED',
  'P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028',
  'DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionAlreadyClosed',
]);

const UNAVAILABLE_MESSAGE = new RegExp(
  [
    'connection terminated', 'timeout exceeded when trying to connect', 'terminating connection', 'encountered a connection error',
    "can.t reach database server", 'the database system is (shutting down|starting up|in recovery mode)', 'Connection terminated unexpectedly',
    // PgBouncer
    'server login has been failing', 'no more connections allowed', 'pgbouncer cannot connect to server', 'query_wait_timeout',
    'server conn crashed', 'client_login_timeout', 'database .* is paused',
    // Neon, Supabase's Supavisor
    "couldn.t connect to compute node", 'endpoint (is|has been) disabled', 'control plane request failed', 'compute is (starting|suspended)',
    'EDBHANDLEREXITED', 'max client connections reached', 'DbHandler exited',
    // Prisma: no connection within the pool's wait
    'Unable to start a transaction in the given time', 'Timed out fetching a new connection',
  ].join('|'),
  'i',
);

/** The database cannot be reached or is going away: the caller should come back later (503, Retry-After). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const codes = codesOf(error);
  for (const code of codes) if (/^08[0-9A-Z]{3}$/.test(code) || UNAVAILABLE_CODES.has(code)) return true;
  return UNAVAILABLE_MESSAGE.test(messagesOf(error));
}

/** Every message in the error and its causes, for recognising errors that carry no code. */
function messagesOf(error: unknown, depth = 0): string {
  if (!error || typeof error !== 'object' || depth > 6) return typeof error === 'string' ? error : '';
  const record = error as Record<string, unknown>;
  const own = typeof record.message === 'string' ? record.message : '';
  return [own, ...['cause', 'meta', 'driverAdapterError', 'error'].map((key) => messagesOf(record[key], depth + 1))].filter(Boolean).join('\n');
}
