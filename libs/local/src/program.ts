import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { PARENT_PIPE_ENV } from '@lth/grpc-kit';

/** How to start one of lth's processes: `command ...args` (e.g. node and an app's main.js). */
export interface Program {
  command: string;
  args: string[];
}

/** The processes a campaign on this machine starts: the four services and the driver. */
export interface Programs {
  data: Program;
  pruning: Program;
  finetune: Program;
  evaluation: Program;
  driver: Program;
}

/**
 * Starts one of lth's programs as a child that dies with this process: its stdin is a pipe this
 * process holds open (and never writes), which the child watches (PARENT_PIPE_ENV); a SIGKILL
 * here closes it and the child shuts itself down, so nothing is left listening.
 */
export function spawnProgram(
  program: Program,
  args: string[],
  env: NodeJS.ProcessEnv,
): ChildProcessByStdio<Writable, Readable, Readable> {
  return spawn(program.command, [...program.args, ...args], {
    env: { ...process.env, ...env, [PARENT_PIPE_ENV]: 'stdin' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}
