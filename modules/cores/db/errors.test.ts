import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, isRetryableConflict } from './errors';

/** An error as Prisma 7 wraps a driver-adapter (pg) error: the PostgreSQL code sits in meta.driverAdapterError.cause. */
function prismaError(code: string, message: string) {
  const error = new Error(`Raw query failed. Code: \`${code}\`. Message: \`${message}\``) as Error & { code: string; meta: unknown };
  error.code = 'P2010';
  error.meta = { driverAdapterError: { cause: { kind: 'postgres', originalCode: code, originalMessage: message } } };
  return error;
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['PgBouncer while the server is down', prismaError('08P01', 'server login has been failing, try again later (server_login_retry)')],
    ['PgBouncer with no server connection to give', prismaError('08P01', 'query_wait_timeout')],
    ['any connection exception', prismaError('08006', 'connection failure')],
    ['the server shutting down', prismaError('57P01', 'terminating connection due to administrator command')],
    ['the server starting', prismaError('57P03', 'the database system is starting up')],
    ['too many connections', prismaError('53300', 'sorry, too many clients already')],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['Neon waking a compute', new Error("Couldn't connect to compute node")],
    ['Supabase\'s pooler', new Error('(EDBHANDLEREXITED) connection to database closed')],
    ['Prisma with no connection in time', new Error('Transaction API error: Unable to start a transaction in the given time.')],
  ])('recognises %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', prismaError('23505', 'duplicate key value violates unique constraint "User_email_key"')],
    ['a syntax error', prismaError('42601', 'syntax error at or near "SELEC"')],
    ['a missing table', prismaError('42P01', 'relation "User" does not exist')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
  ])('does not take %s for an outage', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('retries conflicts, not outages', () => {
    expect(isRetryableConflict(prismaError('40P01', 'deadlock detected'))).toBe(true);
    expect(isRetryableConflict(prismaError('08P01', 'server login has been failing'))).toBe(false);
  });
});
