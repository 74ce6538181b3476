/** Every client call carries a deadline from this one table (milliseconds). */
export const DEADLINES = {
  listDatasets: 30_000,
  // Describing may load and convert a dataset the first time.
  describeDataset: 10 * 60_000,
  streamBatches: 60 * 60_000,
  prune: 30 * 60_000,
  randomPrune: 30 * 60_000,
  reverseMask: 30 * 60_000,
  fineTune: 48 * 60 * 60_000,
  evaluate: 4 * 60 * 60_000,
  healthCheck: 5_000,
} as const;
