/**
 * The app's logger, as `getLogger()` builds it (pino, JSON lines, the same
 * error serializer), writing to memory for the current test: what a module
 * logs, read back as parsed lines.
 */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import { serializeError } from '@/modules/cores/logger/redact';

const app = globalThis as unknown as { logger?: Logger };

/** Registers the hooks; `lines()` are the current test's lines so far. */
export function memoryLogger<Line = Record<string, unknown>>(): { lines(): Line[] } {
  let lines: Line[] = [];
  beforeEach(() => {
    lines = [];
    const memory = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Line);
        done();
      },
    });
    app.logger = pino({ level: 'info', base: { service: 'app' }, serializers: { err: serializeError } }, memory);
  });
  afterEach(() => {
    delete app.logger;
  });
  return { lines: () => lines };
}
