export {
  ArtifactCorruptError,
  ArtifactStore,
  checkDigest,
  defaultStoreRoot,
  type Digest,
  type StoreCounters,
} from './artifact-store';
export { writeFileAtomically, sweepTemporaryFiles } from './atomic-file';
export { putWeights, getWeights, getWeightSpecs, putMask, getMask } from './tensor-artifacts';
