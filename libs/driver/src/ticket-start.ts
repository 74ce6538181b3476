import type { Experiment } from '@lth/core';
import type { ArtifactStore } from '@lth/store';
import { InputProducers } from './corrupt-input';
import type { RoundRecord } from './records';
import { requiredPretraining, requiredRound } from './required-record';
import { rewindPoint } from './rewind-point';

/**
 * A finished round's ticket, as `lth export` writes it: the round's record and where its survivors
 * started (the rewind point; a fresh head where fine-tuning drew one), decided exactly as the round
 * itself decided it. Errors name the round or pre-training that has not finished.
 */
export async function ticketStart(
  store: ArtifactStore,
  experiment: Experiment,
  round: number,
): Promise<{ record: RoundRecord; start: { rewindTo: string; freshHead: boolean } }> {
  const deps = { store };
  const inputs = new InputProducers();
  const record = await requiredRound(experiment, round, deps, inputs);
  const pretrained = await requiredPretraining(experiment, deps, inputs);
  const start =
    experiment.settings.objective === 'pretraining'
      ? { rewindTo: pretrained.weightsDigest, freshHead: false }
      : await rewindPoint(experiment, round, pretrained, { deps, inputs });
  return { record, start };
}
