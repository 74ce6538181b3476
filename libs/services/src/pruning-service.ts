import { checkMaskFits, InvalidArgumentError, maskStats, pruneByMagnitude, randomMaskLike, type Mask, type MaskStats, type PruningPolicy } from '@lth/core';
import { checkDigest, getMask, getWeights, putMask, type ArtifactStore } from '@lth/store';
import { pruningV1, unary, type HandlerOptions, type ServiceBinding } from '@lth/grpc-kit';

export function policyFromProto(p: pruningV1.PruningPolicy | undefined): PruningPolicy {
  return {
    strategy: p?.strategy === pruningV1.Strategy.STRATEGY_LAYERWISE_MAGNITUDE ? 'layerwise' : 'global',
    rate: p?.rate || 0.2,
    excludePatterns: p?.excludePatterns ?? [],
    pruneStem: p?.pruneStem ?? false,
  };
}

function statsToProto(digest: string, s: MaskStats): pruningV1.PruneResponse {
  return { maskDigest: digest, layers: s.layers, sparsity: s.sparsity, remainingWeights: s.remaining, prunableWeights: s.prunable };
}

/** Computes next masks in the pure core; reads and writes artifacts by digest. */
export function pruningService(store: ArtifactStore, options: HandlerOptions): ServiceBinding & { name: string } {
  const implementation: pruningV1.PruningServiceServer = {
    prune: unary('Prune', options, async (req: pruningV1.PruneRequest) => {
      const policy = policyFromProto(req.policy);
      for (const p of policy.excludePatterns) {
        try {
          new RegExp(p);
        } catch {
          throw new InvalidArgumentError(`exclude pattern "${p}" is not a valid regular expression`);
        }
      }
      const weights = await getWeights(store, checkDigest(req.weightsDigest, 'weights_digest'));
      let current: Mask | undefined;
      if (req.maskDigest) {
        current = await getMask(store, checkDigest(req.maskDigest, 'mask_digest'));
        checkMaskFits(weights, current);
      }
      const next = pruneByMagnitude(weights, current, policy);
      return statsToProto(await putMask(store, next), maskStats(next));
    }),
    randomPrune: unary('RandomPrune', options, async (req: pruningV1.RandomPruneRequest) => {
      const reference = await getMask(store, checkDigest(req.referenceMaskDigest, 'reference_mask_digest'));
      const mask = randomMaskLike(reference, req.seed);
      return statsToProto(await putMask(store, mask), maskStats(mask));
    }),
  };
  return { name: 'lth.pruning.v1.PruningService', definition: pruningV1.PruningServiceService, implementation };
}
