import type { BranchKind } from '@lth/core';
import type { BranchStarter } from './branch';
import { oneshotMagnitudeBranch } from './oneshot-magnitude';
import { randomPruningBranch, randomPruningLayerwiseBranch } from './random-pruning';
import { randomReinitBranch } from './random-reinit';
import { reversedMaskBranch } from './reversed-mask';
import { transferBranch } from './transfer';

/** Every kind of branch, by the name a campaign gives it (`BRANCH_KINDS`) or `transfer`. */
export const BRANCHES: Record<BranchKind, BranchStarter> = {
  'random-pruning': randomPruningBranch,
  'random-pruning-layerwise': randomPruningLayerwiseBranch,
  'reversed-mask': reversedMaskBranch,
  'random-reinit': randomReinitBranch,
  'oneshot-magnitude': oneshotMagnitudeBranch,
  transfer: transferBranch,
};

export type { BranchStart, BranchContext, BranchMask } from './branch';
