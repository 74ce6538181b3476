import type { Experiment } from '@lth/core';
import type { ArtifactStore } from '@lth/store';
import { refs, type RoundRecord } from './records';

/** The finished rounds of an experiment, in order, as the store has them (0..n-1 for n done). */
export async function finishedRounds(store: ArtifactStore, experiment: Experiment): Promise<RoundRecord[]> {
  const out: RoundRecord[] = [];
  for (let r = 0; r <= experiment.settings.rounds; r++) {
    const ref = await store.getRef(refs.round(experiment.id, r));
    if (!ref) break;
    out.push(await store.getJson<RoundRecord>(ref));
  }
  return out;
}
