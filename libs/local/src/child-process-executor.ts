import { createInterface } from 'node:readline';
import { DRIVER_EXIT, driverArgs, type TaskRef, type ServiceAddresses } from '@lth/core';
import { parseDriverEvent, type DriverEvent } from '@lth/driver';
import { PermanentTaskError, type Executor } from './executor';
import { spawnProgram, type Program } from './program';

/**
 * Runs each attempt as a child process of the driver: the same program a Kubernetes Job runs.
 * Events arrive as JSON lines on the child's stdout; its stderr is kept for errors.
 */
export class ChildProcessExecutor implements Executor {
  constructor(
    private readonly driver: Program,
    private readonly storeRoot: string,
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  run(
    task: TaskRef,
    services: ServiceAddresses,
    onEvent: (event: DriverEvent) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawnProgram(this.driver, driverArgs(task, services, this.storeRoot), this.env);
      const stderr: string[] = [];
      createInterface({ input: child.stdout }).on('line', (line) => {
        const event = parseDriverEvent(line);
        if (event) onEvent(event);
      });
      createInterface({ input: child.stderr }).on('line', (line) => {
        stderr.push(line);
        if (stderr.length > 20) stderr.shift();
      });
      const abort = () => child.kill('SIGTERM');
      signal?.addEventListener('abort', abort, { once: true });
      child.on('error', reject);
      child.on('close', (code, sig) => {
        signal?.removeEventListener('abort', abort);
        if (code === 0) return resolve();
        const lastError =
          [...stderr].reverse().find((l) => l.trim() && !l.startsWith('{')) ?? stderr[stderr.length - 1] ?? '';
        const message = `driver exited with ${sig ?? `code ${code}`}: ${lastError}`;
        reject(code === DRIVER_EXIT.badInput ? new PermanentTaskError(message) : new Error(message));
      });
    });
  }
}
