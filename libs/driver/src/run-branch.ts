import type { BranchRun } from '@lth/core';
import { BRANCHES } from './branches';
import { InputProducers } from './corrupt-input';
import type { DriverDeps } from './driver-deps';
import { refs, type BranchRecord } from './records';
import { requiredPretraining, requiredRound } from './required-record';
import { normalizationOf } from './service-calls';
import { trainAndScore } from './train-and-score';
import { ownRecord } from './store-progress';

/**
 * One branch of a finished round: its mask and start derived from the round (by the branch's kind),
 * fine-tuned and evaluated with the experiment's recipe on the branch's task. Idempotent as a round is:
 * the record is written last, and a finished branch is returned as it is.
 */
export async function runBranch(run: BranchRun, deps: DriverDeps): Promise<BranchRecord> {
  const existing = await ownRecord<BranchRecord>(deps.store, refs.branch(run.id));
  if (existing) return existing;
  const inputs = new InputProducers();
  try {
    return await computeBranch(run, deps, inputs);
  } catch (e) {
    throw await inputs.withdraw(e, deps.store);
  }
}

async function computeBranch(run: BranchRun, deps: DriverDeps, inputs: InputProducers): Promise<BranchRecord> {
  const s = run.experiment.settings;
  const pretrained = await requiredPretraining(run.experiment, deps, inputs);
  const ticket = await requiredRound(run.experiment, run.round, deps, inputs);
  deps.emit({ type: 'phase', phase: 'prune' });
  const start = await BRANCHES[run.kind]({ run, ticket, pretrained, deps, inputs });

  const { trained, testAccuracy, testLoss, selection } = await trainAndScore(
    deps,
    {
      model: s.model,
      dataset: run.task,
      initWeightsDigest: start.rewindTo,
      maskDigest: start.mask.maskDigest,
      seed: start.seed,
      freshHead: start.freshHead,
      training: run.finetune,
      normalization: normalizationOf(s.pretraining.source),
    },
    s.evaluation,
  );
  const record: BranchRecord = {
    branchId: run.id,
    experimentId: run.experiment.id,
    round: run.round,
    kind: run.kind,
    task: run.task,
    ...start.mask,
    weightsDigest: trained.weightsDigest,
    ...(selection ? { selection } : {}),
    testAccuracy,
    testLoss,
    trainSeconds: trained.trainSeconds,
    backend: trained.backend,
  };
  await deps.store.setRef(refs.branch(run.id), await deps.store.putJson(record));
  deps.emit({ type: 'branch-finished', record });
  return record;
}
