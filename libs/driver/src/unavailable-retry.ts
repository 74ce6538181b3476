import { setTimeout as sleep } from 'node:timers/promises';
import { ClientError, GrpcStatus } from '@lth/grpc-kit';
import type { DriverDeps } from './driver-deps';

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Total time spent waiting before the call's UNAVAILABLE is the driver's answer. */
  budgetMs: number;
}

/**
 * Long enough for a local service to be restarted by `lth run`, or a pod by its Deployment, on the
 * same address; beyond it the task fails and its next attempt (a new driver) starts over.
 */
export const UNAVAILABLE_RETRY: RetryPolicy = { initialDelayMs: 500, maxDelayMs: 8_000, budgetMs: 60_000 };

/**
 * Calls a service, and calls again after a backoff while it answers UNAVAILABLE: the one status gRPC
 * documents as transient (the server is down, restarting or shutting down). Every lth call can be
 * repeated: its result is named by the digest of what it computed, and the same request computes
 * the same bytes. Any other status is the answer.
 */
export async function retryUnavailable<T>(
  service: string,
  call: () => Promise<T>,
  deps: Pick<DriverDeps, 'emit' | 'signal'>,
  policy: RetryPolicy = UNAVAILABLE_RETRY,
): Promise<T> {
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ClientError) || error.code !== GrpcStatus.UNAVAILABLE) throw error;
      const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
      if (waited + delayMs > policy.budgetMs) throw error;
      deps.emit({ type: 'retrying', service, attempt, delayMs, reason: shortReason(error.details) });
      await sleep(delayMs, undefined, { signal: deps.signal });
      waited += delayMs;
    }
  }
}

/** grpc-js nests the socket error in its load balancer's words; the socket error is what a user needs. */
function shortReason(details: string): string {
  const socket = [...details.matchAll(/Error: ([^.]+)/g)].pop()?.[1];
  return (socket ?? details).slice(0, 120);
}
