/** The app's structured logger (pino, JSON lines). Errors are logged redacted: ids, never emails or names. */
import pino, { type Logger } from 'pino';
import { getLogLevel } from '@/modules/cores/env/env';
import { serializeError } from './redact';

const holder = globalThis as unknown as { logger?: Logger };

export function getLogger(): Logger {
  holder.logger ??= pino({ level: getLogLevel(), base: { service: 'app' }, serializers: { err: serializeError } });
  return holder.logger;
}
