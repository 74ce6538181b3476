#!/usr/bin/env node
// The driver: what a task Job runs (and the local runner's child processes): one pre-training or
// one IMP round against the four services. Events go to stdout as JSON lines; the exit code says
// done (0), failed (1) or bad input (2, never retried).
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError as UsageError } from 'commander';
import { DRIVER_EXIT, type TaskRef } from '@lth/core';
import { connect, exitCodeOf, runTask, type DriverEvent } from '@lth/driver';
import { onParentGone } from '@lth/grpc-kit';
import { ArtifactStore } from '@lth/store';

function roundNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError('must be a whole number');
  return n;
}

const program = new Command('lth-driver')
  .description('run one pre-training or IMP round against the services')
  .option('--pretraining <digest>', 'the pre-training (its settings in the store)')
  .option('--experiment <digest>', 'the experiment (its settings in the store)')
  .option('--round <n>', 'the round of the experiment', roundNumber)
  .option('--branch <digest>', 'a branch of a finished round (its settings in the store)')
  .requiredOption('--store <dir>', 'artifact store')
  .requiredOption('--data <address>', 'data service')
  .requiredOption('--pruning <address>', 'pruning service')
  .requiredOption('--finetune <address>', 'fine-tuning service')
  .requiredOption('--evaluation <address>', 'evaluation service')
  .option(
    '--termination-log <file>',
    "where to write the finished task and its record's digest as JSON (a Job's terminationMessagePath)",
  )
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : DRIVER_EXIT.badInput));

async function main(): Promise<number> {
  const flags = program.parse().opts();
  let task: TaskRef;
  const given = ['pretraining', 'experiment', 'branch'].filter((f) => flags[f] !== undefined);
  if (given.length === 1 && flags['pretraining'])
    task = { kind: 'pretraining', pretrainingDigest: flags['pretraining'] };
  else if (given.length === 1 && flags['branch']) task = { kind: 'branch', branchDigest: flags['branch'] };
  else if (given.length === 1 && flags['experiment'] && flags['round'] !== undefined) {
    task = { kind: 'round', experimentDigest: flags['experiment'], round: flags['round'] };
  } else {
    const usage = 'give --pretraining DIGEST, --experiment DIGEST with --round N, or --branch DIGEST';
    process.stderr.write(`lth-driver: ${usage}\n`);
    return DRIVER_EXIT.badInput;
  }
  const clients = connect({
    data: flags['data'],
    pruning: flags['pruning'],
    finetune: flags['finetune'],
    evaluation: flags['evaluation'],
  });
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGTERM', onSignal);
  onParentGone(onSignal); // lth run was killed: stop, as on SIGTERM
  const emit = (e: DriverEvent) => process.stdout.write(JSON.stringify(e) + '\n');
  try {
    const outcome = await runTask(task, {
      store: new ArtifactStore(flags['store']),
      clients,
      emit,
      signal: abort.signal,
    });
    // Read with the pod's status, even while a network filesystem does not show the record yet.
    if (flags['terminationLog']) await writeFile(flags['terminationLog'], JSON.stringify(outcome));
    return DRIVER_EXIT.done;
  } catch (e) {
    const err = e as Error & { details?: string };
    process.stderr.write(`lth-driver: ${err.details ?? err.message}\n`);
    return exitCodeOf(e);
  } finally {
    process.off('SIGTERM', onSignal);
    clients.close();
  }
}

void main().then((code) => (process.exitCode = code));
