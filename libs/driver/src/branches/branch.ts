import type { BranchRun } from '@lth/core';
import type { InputProducers } from '../corrupt-input';
import type { DriverDeps } from '../driver-deps';
import type { PretrainingRecord, RoundRecord } from '../records';
import { rewindPoint } from '../rewind-point';

/** The mask a branch trains under, with its counts over the prunable weights. */
export interface BranchMask {
  maskDigest: string;
  sparsity: number;
  remainingWeights: number;
  prunableWeights: number;
}

/** Where a branch's fine-tuning starts: what differs from its round is all a branch is. */
export interface BranchStart {
  mask: BranchMask;
  /** Empty: every weight from the seed. */
  rewindTo: string;
  freshHead: boolean;
  seed: number;
}

/** What a branch derives its start from: the round it branches from and θ_p. */
export interface BranchContext {
  run: BranchRun;
  /** The record of the round it branches from. */
  ticket: RoundRecord;
  pretrained: PretrainingRecord;
  deps: DriverDeps;
  inputs: InputProducers;
}

/** One kind of branch: how it derives its start from its round. */
export type BranchStarter = (context: BranchContext) => Promise<BranchStart>;

/** The ticket's own mask and counts. */
export function ticketMask(ticket: RoundRecord): BranchMask {
  const { maskDigest, sparsity, remainingWeights, prunableWeights } = ticket;
  return { maskDigest, sparsity, remainingWeights, prunableWeights };
}

/** A mask the pruning service computed, with its counts. */
export function computedMask(response: BranchMask): BranchMask {
  const { maskDigest, sparsity, remainingWeights, prunableWeights } = response;
  return { maskDigest, sparsity, remainingWeights, prunableWeights };
}

/** A branch that changes only the mask: it starts where the ticket's round started (its rewind point). */
export async function withTicketStart(context: BranchContext, mask: BranchMask): Promise<BranchStart> {
  const { run, pretrained, deps, inputs } = context;
  const start = await rewindPoint(run.experiment, run.round, pretrained, { deps, inputs });
  return { mask, ...start, seed: run.experiment.settings.seed };
}
