import { deriveSeed } from '@lth/core';
import { ticketMask, type BranchContext, type BranchStart } from './branch';

/**
 * The ticket's mask on weights drawn afresh (the classic LTH control): does the ticket need its
 * pre-trained values, or only its structure? The seed is derived from the experiment's, so the init
 * differs from θ_0 of an `init`-rewind experiment.
 */
export async function randomReinitBranch({ run, ticket }: BranchContext): Promise<BranchStart> {
  const seed = deriveSeed(run.experiment.settings.seed, run.kind);
  return { mask: ticketMask(ticket), rewindTo: '', freshHead: false, seed };
}
