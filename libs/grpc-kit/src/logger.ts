import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs on stderr (stdout stays free for a command's own output). Written
 * synchronously: an asynchronous destination flushes at exit and retries a write that failed with
 * EPIPE forever, so a service whose reader died (lth run killed by SIGKILL) could never exit. A
 * synchronous write sees EPIPE at once, and pino then stops logging.
 */
export function createLogger(name: string, level = process.env['LTH_LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ name, level, base: { service: name, pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
}

export type { Logger };
