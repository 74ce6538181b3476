import pino, { type Logger } from 'pino';

/** Structured JSON logs on stderr (stdout stays free for a command's own output). */
export function createLogger(name: string, level = process.env['LTH_LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ name, level, base: { service: name, pid: process.pid } }, pino.destination(2));
}

export type { Logger };
