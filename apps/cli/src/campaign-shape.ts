import { branchRunsOf, expandCampaign, lastRound, type CampaignSpec } from '@lth/core';

/** What a campaign asks for, in a few words: `18 experiment(s), 5 pruning rounds each, 192 branch run(s)`. */
export function campaignShape(spec: CampaignSpec): string {
  const experiments = expandCampaign(spec);
  const branches = branchRunsOf(spec, experiments, lastRound(spec)).length;
  const shape = `${experiments.length} experiment(s), ${lastRound(spec)} pruning rounds each`;
  return branches > 0 ? `${shape}, ${branches} branch run(s)` : shape;
}
