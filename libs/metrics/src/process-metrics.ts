import { collectDefaultMetrics, type Registry } from 'prom-client';

// prom-client names these gauges with a `_total` suffix, which Prometheus reserves for counters
// (promtool check metrics refuses them). The rest of its process metrics are standard.
const NON_CONFORMING = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Process and Node.js runtime metrics (CPU, memory, event loop lag, GC), minus the non-conforming ones. */
export function processMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of NON_CONFORMING) registry.removeSingleMetric(name);
}
