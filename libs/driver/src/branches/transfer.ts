import { ticketMask, type BranchContext, type BranchStart } from './branch';

/**
 * The ticket on another task: m ⊙ θ_p with a fresh head for the target (and a fresh stem where its input
 * differs, as in every experiment from θ_p), fine-tuned and evaluated there. Round 0's is the dense
 * transfer, which the target's tickets are matching against.
 */
export async function transferBranch({ run, ticket, pretrained }: BranchContext): Promise<BranchStart> {
  const rewindTo = pretrained.weightsDigest;
  return { mask: ticketMask(ticket), rewindTo, freshHead: rewindTo !== '', seed: run.experiment.settings.seed };
}
