import {
  checkMaskFits,
  InvalidArgumentError,
  maskStats,
  pruneByMagnitude,
  pruneLikeMask,
  reversedMask,
  pruningSchema,
  randomMaskLike,
  type Mask,
  type MaskStats,
  type PruningPolicy,
} from '@lth/core';
import { checkDigest, getMask, getWeights, putMask, type ArtifactStore } from '@lth/store';
import { pruningV1, type ServiceBinding } from '@lth/grpc-kit';

const STRATEGIES = new Map<pruningV1.Strategy, PruningPolicy['strategy']>([
  [pruningV1.Strategy.STRATEGY_GLOBAL_MAGNITUDE, 'global'],
  [pruningV1.Strategy.STRATEGY_LAYERWISE_MAGNITUDE, 'layerwise'],
]);

/** The request's policy, checked by the campaign schema's rules; the service invents no default. */
function policyFromProto(p: pruningV1.PruningPolicy | undefined): PruningPolicy {
  if (!p) throw new InvalidArgumentError('policy is required');
  const strategy = STRATEGIES.get(p.strategy);
  if (!strategy)
    throw new InvalidArgumentError('policy.strategy must be STRATEGY_GLOBAL_MAGNITUDE or STRATEGY_LAYERWISE_MAGNITUDE');
  const parsed = pruningSchema.safeParse({ ...p, strategy });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidArgumentError(`policy.${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

function statsToProto(digest: string, s: MaskStats): pruningV1.PruneResponse {
  return {
    maskDigest: digest,
    layers: s.layers,
    sparsity: s.sparsity,
    remainingWeights: s.remaining,
    prunableWeights: s.prunable,
  };
}

/** Computes next masks in the pure core; reads and writes artifacts by digest. */
export function pruningService(store: ArtifactStore): ServiceBinding {
  const implementation: pruningV1.PruningServiceImplementation = {
    async prune(req) {
      if (req.likeMaskDigest) return pruneLike(req);
      const policy = policyFromProto(req.policy);
      const weights = await getWeights(store, checkDigest(req.weightsDigest, 'weights_digest'));
      let current: Mask | undefined;
      if (req.maskDigest) {
        current = await getMask(store, checkDigest(req.maskDigest, 'mask_digest'));
        checkMaskFits(weights, current);
      }
      const next = pruneByMagnitude(weights, current, policy);
      return statsToProto(await putMask(store, next), maskStats(next));
    },
    async randomPrune(req) {
      const reference = await getMask(store, checkDigest(req.referenceMaskDigest, 'reference_mask_digest'));
      const mask = randomMaskLike(reference, req.seed, req.global ? 'global' : 'layerwise');
      return statsToProto(await putMask(store, mask), maskStats(mask));
    },
    async reverseMask(req) {
      const mask = reversedMask(await getMask(store, checkDigest(req.maskDigest, 'mask_digest')));
      return statsToProto(await putMask(store, mask), maskStats(mask));
    },
  };
  async function pruneLike(req: pruningV1.PruneRequest): Promise<pruningV1.PruneResponse> {
    if (req.maskDigest)
      throw new InvalidArgumentError('one-shot pruning (like_mask_digest) starts dense: mask_digest must be empty');
    const { strategy } = policyFromProto(req.policy);
    const weights = await getWeights(store, checkDigest(req.weightsDigest, 'weights_digest'));
    const reference = await getMask(store, checkDigest(req.likeMaskDigest, 'like_mask_digest'));
    const mask = pruneLikeMask(weights, reference, strategy);
    return statsToProto(await putMask(store, mask), maskStats(mask));
  }
  const { PruningServiceDefinition: definition } = pruningV1;
  return { name: definition.fullName, register: (server) => server.add(definition, implementation) };
}
