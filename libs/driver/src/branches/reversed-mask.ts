import { reverseMask } from '../service-calls';
import { computedMask, withTicketStart, type BranchContext, type BranchStart } from './branch';

/**
 * The prunable weights the ticket pruned, and only those, trained from the ticket's own start: if
 * magnitude found what matters, the smallest weights alone should do much worse.
 */
export async function reversedMaskBranch(context: BranchContext): Promise<BranchStart> {
  const mask = await reverseMask(context.deps, context.ticket.maskDigest);
  return withTicketStart(context, computedMask(mask));
}
