import { deriveSeed } from '@lth/core';
import { randomPrune } from '../service-calls';
import { computedMask, withTicketStart, type BranchContext, type BranchStart, type BranchStarter } from './branch';

/**
 * Random pruning at the ticket's sparsity, trained from the ticket's own start: does the ticket's choice
 * of weights matter, or only how many? `global` draws the survivors anywhere among the prunable weights;
 * otherwise each layer keeps as many as the ticket's does.
 */
function randomPruning(global: boolean): BranchStarter {
  return async (context: BranchContext): Promise<BranchStart> => {
    const { run, ticket, deps } = context;
    const seed = deriveSeed(run.experiment.settings.seed, run.kind, run.round);
    const mask = await randomPrune(deps, { referenceMaskDigest: ticket.maskDigest, seed, global });
    return withTicketStart(context, computedMask(mask));
  };
}

export const randomPruningBranch = randomPruning(true);
export const randomPruningLayerwiseBranch = randomPruning(false);
