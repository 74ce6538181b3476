import type { K8s } from './k8s';

type CoordinationV1Api = K8s.CoordinationV1Api;
type V1Lease = K8s.V1Lease;

export interface LeaderElectionOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseSeconds?: number;
  renewEveryMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

const now = () => new Date();

function expired(lease: V1Lease, at: Date): boolean {
  const spec = lease.spec ?? {};
  if (!spec.holderIdentity) return true;
  const renewed = spec.renewTime ? new Date(spec.renewTime as unknown as string) : new Date(0);
  return renewed.getTime() + (spec.leaseDurationSeconds ?? 15) * 1000 < at.getTime();
}

/**
 * Leader election through a coordination.k8s.io Lease (client-go's leaderelection): acquire
 * when free or expired, renew before it expires, step down when an update loses the race.
 * Optimistic concurrency (resourceVersion) makes two candidates never both win.
 */
export function startLeaderElection(o: LeaderElectionOptions): { stop(): Promise<void>; isLeader(): boolean } {
  const leaseSeconds = o.leaseSeconds ?? 15;
  const every = o.renewEveryMs ?? 2000;
  let leading = false;
  let stopped = false;
  const setLeading = (value: boolean) => {
    if (value === leading) return;
    leading = value;
    if (value) o.onStartedLeading();
    else o.onStoppedLeading();
  };
  const attempt = async () => {
    const at = now();
    let lease: V1Lease | undefined;
    try {
      lease = await o.api.readNamespacedLease({ name: o.name, namespace: o.namespace });
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    const spec = {
      holderIdentity: o.identity,
      leaseDurationSeconds: leaseSeconds,
      renewTime: at as never,
      acquireTime: at as never,
    };
    if (!lease) {
      await o.api.createNamespacedLease({
        namespace: o.namespace,
        body: { metadata: { name: o.name, namespace: o.namespace }, spec },
      });
      return setLeading(true);
    }
    const mine = lease.spec?.holderIdentity === o.identity;
    if (!mine && !expired(lease, at)) return setLeading(false);
    await o.api.replaceNamespacedLease({
      name: o.name,
      namespace: o.namespace,
      body: {
        ...lease,
        spec: {
          ...lease.spec,
          ...spec,
          acquireTime: mine ? lease.spec?.acquireTime : spec.acquireTime,
          leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1),
        },
      },
    });
    setLeading(true);
  };
  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    try {
      await attempt();
    } catch {
      // A conflict or an unreachable API server: whoever renewed last keeps the lease.
      setLeading(false);
    }
    if (!stopped) timer = setTimeout(() => void loop(), every);
  };
  void loop();
  return {
    isLeader: () => leading,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (leading) {
        try {
          const lease = await o.api.readNamespacedLease({ name: o.name, namespace: o.namespace });
          if (lease.spec?.holderIdentity === o.identity) {
            await o.api.replaceNamespacedLease({
              name: o.name,
              namespace: o.namespace,
              body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined } },
            });
          }
        } catch {
          // Best effort: the lease expires anyway.
        }
      }
      setLeading(false);
    },
  };
}
