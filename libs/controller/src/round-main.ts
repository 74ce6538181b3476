import { InvalidArgumentError, type Experiment, type PretrainingPlan } from '@lth/core';
import { ArtifactStore, checkDigest } from '@lth/store';
import { kindOfStatus } from '@lth/grpc-kit';
import type { DriverEvent } from './driver-events';
import { EXIT_BAD_INPUT } from './executor';
import { runPretrain, runRound } from './round-driver';
import { connect, type ServiceAddresses } from './service-clients';

export interface RoundCommand {
  pretraining?: string;
  experiment?: string;
  round?: number;
  store: string;
  services: ServiceAddresses;
}

/**
 * The round driver as a process (`lth round ...`): runs one task against the four services,
 * prints events as JSON lines, exits 0 when done, 2 on bad input (retrying cannot help), 1
 * otherwise.
 */
export async function roundMain(cmd: RoundCommand): Promise<number> {
  const emit = (e: DriverEvent) => process.stdout.write(JSON.stringify(e) + '\n');
  const store = new ArtifactStore(cmd.store);
  const clients = connect(cmd.services);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGTERM', onSignal);
  try {
    if (cmd.pretraining) {
      const plan = await store.getJson<PretrainingPlan>(checkDigest(cmd.pretraining, '--pretraining'));
      await runPretrain(plan, { store, clients, emit, signal: abort.signal });
    } else if (cmd.experiment && cmd.round !== undefined) {
      const experiment = await store.getJson<Experiment>(checkDigest(cmd.experiment, '--experiment'));
      await runRound(experiment, cmd.round, { store, clients, emit, signal: abort.signal });
    } else {
      throw new InvalidArgumentError('give --pretraining DIGEST, or --experiment DIGEST with --round N');
    }
    return 0;
  } catch (e) {
    const err = e as Error & { kind?: string; code?: number; details?: string };
    const kind = err.kind ?? (typeof err.code === 'number' ? kindOfStatus(err.code) : 'internal');
    process.stderr.write(`lth round: ${err.details ?? err.message}\n`);
    return kind === 'invalid-argument' || kind === 'failed-precondition' || kind === 'not-found' ? EXIT_BAD_INPUT : 1;
  } finally {
    process.off('SIGTERM', onSignal);
    clients.close();
  }
}
