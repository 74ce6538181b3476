export { startMetricsServer, type MetricsServer } from './metrics-server';
export { syncedCounter } from './synced-counter';
export { Counter, Gauge, Histogram, Registry } from 'prom-client';
export { processMetrics } from './process-metrics';
export { LONG_BUCKETS, RPC_BUCKETS } from './buckets';
export {
  CampaignMetrics,
  sparsityRange,
  SPARSITY_RANGES,
  type CampaignMetricsSources,
  type CampaignView,
} from './campaign-metrics';
