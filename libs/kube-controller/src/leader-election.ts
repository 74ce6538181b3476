import type { Logger } from '@lth/grpc-kit';
import { k8s, type K8s } from './k8s';

type LeaseApi = Pick<K8s.CoordinationV1Api, 'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'>;

export interface LeaderElectionOptions {
  api: LeaseApi;
  namespace: string;
  name: string;
  identity: string;
  log: Logger;
  /** How long a lease holds without renewal (client-go's LeaseDuration). */
  leaseDurationMs?: number;
  /** A leader that has not renewed for this long steps down (client-go's RenewDeadline; < lease). */
  renewDeadlineMs?: number;
  /** How often to try to acquire or renew (client-go's RetryPeriod). */
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  /** Milliseconds; this candidate's own clock, the only one it trusts. */
  clock?: () => number;
}

/** What went wrong talking to the API server, with its status and message (never swallowed). */
export function describeApiError(e: unknown): { status?: number; message: string } {
  const err = e as { code?: number; body?: unknown; message?: string };
  let message = err.message ?? String(e);
  try {
    const body =
      typeof err.body === 'string'
        ? (JSON.parse(err.body) as { message?: string })
        : (err.body as { message?: string });
    if (body?.message) message = body.message;
  } catch {
    // the body was not JSON: keep the error's own message
  }
  return { status: err.code, message };
}

/**
 * `coordination.k8s.io/v1` Lease times are MicroTime: the API server parses exactly six
 * fractional digits (RFC3339Micro, k8s.io/apimachinery/pkg/apis/meta/v1/micro_time.go).
 * client-node's V1MicroTime serialises so; a plain Date (three digits) is refused with 400.
 */
function microTime(ms: number): K8s.V1MicroTime {
  return new (k8s().V1MicroTime)(ms);
}

const recordOf = (lease: K8s.V1Lease) => {
  const s = lease.spec ?? {};
  return JSON.stringify([
    s.holderIdentity ?? '',
    String(s.renewTime ?? ''),
    s.leaseTransitions ?? 0,
    s.leaseDurationSeconds,
  ]);
};

/**
 * Leader election through a Lease, with client-go's semantics (tools/leaderelection): a lease is
 * expired when *this* candidate has seen its record unchanged for leaseDuration by its own clock
 * (so clocks may disagree); the leader renews every retryPeriod and steps down when it has not
 * renewed for renewDeadline, retrying failed renewals until then; optimistic concurrency
 * (resourceVersion) keeps two candidates from both winning. Every failure is logged.
 */
export function startLeaderElection(o: LeaderElectionOptions): { stop(): Promise<void>; isLeader(): boolean } {
  const leaseMs = o.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
  const retryMs = o.retryPeriodMs ?? 2_000;
  const now = o.clock ?? Date.now;
  if (renewDeadlineMs >= leaseMs) throw new Error('the renew deadline must be shorter than the lease duration');
  const ref = { name: o.name, namespace: o.namespace };
  let observed: { record: string; at: number } | undefined;
  let leading = false;
  let lastRenew = 0;
  let stopped = false;

  const observe = (lease: K8s.V1Lease, at: number) => {
    const record = recordOf(lease);
    if (observed?.record !== record) observed = { record, at };
  };

  /** One attempt: true when this candidate holds the lease afterwards. */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const at = now();
    let lease: K8s.V1Lease | undefined;
    try {
      lease = await o.api.readNamespacedLease(ref);
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    const spec = {
      holderIdentity: o.identity,
      leaseDurationSeconds: Math.ceil(leaseMs / 1000),
      renewTime: microTime(at),
    };
    if (!lease) {
      const created = await o.api.createNamespacedLease({
        namespace: o.namespace,
        body: { metadata: ref, spec: { ...spec, acquireTime: microTime(at), leaseTransitions: 0 } },
      });
      observe(created, at);
      return true;
    }
    observe(lease, at);
    const holder = lease.spec?.holderIdentity;
    const mine = holder === o.identity;
    const holdsFor = (lease.spec?.leaseDurationSeconds ?? leaseMs / 1000) * 1000;
    if (holder && !mine && observed!.at + holdsFor > at) return false;
    const transitions = lease.spec?.leaseTransitions ?? 0;
    const replaced = await o.api.replaceNamespacedLease({
      ...ref,
      body: {
        ...lease,
        spec: {
          ...spec,
          acquireTime: mine ? lease.spec?.acquireTime : microTime(at),
          leaseTransitions: mine ? transitions : transitions + 1,
        },
      },
    });
    observe(replaced, at);
    return true;
  };

  const setLeading = (value: boolean) => {
    if (value === leading) return;
    leading = value;
    if (value) o.onStartedLeading();
    else o.onStoppedLeading();
  };

  let timer: NodeJS.Timeout | undefined;
  let attempt: Promise<void> = Promise.resolve();
  const loop = async () => {
    let ok = false;
    try {
      ok = await tryAcquireOrRenew();
    } catch (e) {
      o.log.warn(
        { ...describeApiError(e), lease: o.name, leading },
        'leader election: could not acquire or renew the lease',
      );
    }
    if (ok) lastRenew = now();
    if (ok && !leading) setLeading(true);
    else if (!ok && leading && now() - lastRenew >= renewDeadlineMs) {
      o.log.warn({ lease: o.name, renewDeadlineMs }, 'leader election: renew deadline passed; stepping down');
      setLeading(false);
    }
    if (!stopped) timer = setTimeout(() => (attempt = loop()), retryMs);
  };
  attempt = loop();

  return {
    isLeader: () => leading,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      // An attempt in flight may just have taken the lease: let it land, then release what we hold.
      await attempt;
      if (leading) {
        // Release (client-go's ReleaseOnCancel): the next candidate need not wait for expiry.
        try {
          const lease = await o.api.readNamespacedLease(ref);
          if (lease.spec?.holderIdentity === o.identity) {
            const spec = {
              ...lease.spec,
              holderIdentity: undefined,
              leaseDurationSeconds: 1,
              renewTime: microTime(now()),
            };
            await o.api.replaceNamespacedLease({ ...ref, body: { ...lease, spec } });
          }
        } catch (e) {
          o.log.warn({ ...describeApiError(e), lease: o.name }, 'leader election: could not release the lease');
        }
      }
      setLeading(false);
    },
  };
}
