export { ArtifactStore, ArtifactCorruptError, checkDigest, defaultStoreRoot, digestOf, type Digest, type StoreCounters } from './artifact-store';
export { writeFileAtomically } from './atomic-file';
export { putWeights, getWeights, getWeightSpecs, putMask, getMask, type WeightsManifest } from './tensor-artifacts';
