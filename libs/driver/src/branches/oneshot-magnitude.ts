import { requiredRound } from '../required-record';
import { prune } from '../service-calls';
import { computedMask, withTicketStart, type BranchContext, type BranchStart } from './branch';

/**
 * One-shot magnitude pruning: the dense fine-tuned weights (round 0) pruned to the ticket's sparsity in
 * one step, trained from the ticket's own start: what the rounds of IMP add over pruning once.
 */
export async function oneshotMagnitudeBranch(context: BranchContext): Promise<BranchStart> {
  const { run, ticket, deps, inputs } = context;
  const dense = await requiredRound(run.experiment, 0, deps, inputs);
  const pruned = await prune(deps, {
    weightsDigest: dense.weightsDigest,
    maskDigest: '',
    pruning: run.experiment.settings.pruning,
    likeMaskDigest: ticket.maskDigest,
  });
  return withTicketStart(context, computedMask(pruned));
}
