import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseDriverEvent, type DriverEvent } from './driver-events';
import { EXIT_BAD_INPUT, PermanentTaskError, type Executor } from './executor';
import type { DriverTask } from './records';
import type { ServiceAddresses } from './service-clients';

export interface DriverCommand {
  /** e.g. process.execPath */
  command: string;
  /** e.g. [path to the lth CLI]; `round ...` is appended. */
  args: string[];
  env?: NodeJS.ProcessEnv;
  storeRoot: string;
}

export function driverArgs(task: DriverTask, services: ServiceAddresses, storeRoot: string): string[] {
  const taskArgs = task.kind === 'pretrain' ? ['--pretraining', task.planDigest] : ['--experiment', task.experimentDigest, '--round', String(task.round)];
  return ['round', ...taskArgs, '--store', storeRoot, '--data', services.data, '--pruning', services.pruning, '--finetune', services.finetune, '--evaluation', services.evaluation];
}

/**
 * Runs each task as a child process of the round driver: the same command a Kubernetes Job
 * runs. Events arrive as JSON lines on the child's stdout; its stderr is kept for errors.
 */
export class LocalProcessExecutor implements Executor {
  readonly name = 'local';

  constructor(private readonly driver: DriverCommand) {}

  run(task: DriverTask, services: ServiceAddresses, onEvent: (event: DriverEvent) => void, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.driver.command, [...this.driver.args, ...driverArgs(task, services, this.driver.storeRoot)], {
        env: { ...process.env, ...this.driver.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
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
        const lastError = [...stderr].reverse().find((l) => l.trim() && !l.startsWith('{')) ?? stderr[stderr.length - 1] ?? '';
        const message = `round driver exited with ${sig ?? `code ${code}`}: ${lastError}`;
        reject(code === EXIT_BAD_INPUT ? new PermanentTaskError(message) : new Error(message));
      });
    });
  }
}
