/** The app's structured logger (pino, JSON lines). */
import pino, { type Logger } from 'pino';
import { getLogLevel } from '@/modules/cores/env/env';

const holder = globalThis as unknown as { logger?: Logger };

export function getLogger(): Logger {
  holder.logger ??= pino({ level: getLogLevel(), base: { service: 'app' } });
  return holder.logger;
}
