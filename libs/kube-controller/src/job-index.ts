import { jobState } from '@lth/kube-core';
import type { K8s } from './k8s';

/**
 * The task Jobs in the informer cache, indexed as reconcile asks for them: by owning campaign
 * (its UID) and the number running everywhere. Kept up to date from the informer's events, so a
 * reconcile costs what its own campaign has, not what the whole namespace has.
 */
export class JobIndex {
  private readonly byOwner = new Map<string, Map<string, K8s.V1Job>>();
  private readonly ownersOf = new Map<string, string[]>();
  private readonly active = new Set<string>();

  /** Adds or updates a Job; true when that ended a running one (a slot of the global limit freed). */
  upsert(job: K8s.V1Job): boolean {
    const uid = job.metadata?.uid;
    if (!uid) return false;
    const wasActive = this.remove(job);
    const owners = (job.metadata?.ownerReferences ?? []).map((o) => o.uid);
    this.ownersOf.set(uid, owners);
    for (const owner of owners) {
      const jobs = this.byOwner.get(owner) ?? new Map<string, K8s.V1Job>();
      jobs.set(uid, job);
      this.byOwner.set(owner, jobs);
    }
    const active = jobState(job).state === 'active';
    if (active) this.active.add(uid);
    return wasActive && !active;
  }

  /** Removes a Job; true when it was running. */
  remove(job: K8s.V1Job): boolean {
    const uid = job.metadata?.uid;
    if (!uid) return false;
    const wasActive = this.active.delete(uid);
    for (const owner of this.ownersOf.get(uid) ?? []) {
      const jobs = this.byOwner.get(owner);
      if (jobs?.delete(uid) && jobs.size === 0) this.byOwner.delete(owner);
    }
    this.ownersOf.delete(uid);
    return wasActive;
  }

  /** The Jobs whose owner reference names this UID (never a namesake campaign's). */
  ownedBy(ownerUid: string): K8s.V1Job[] {
    return [...(this.byOwner.get(ownerUid)?.values() ?? [])];
  }

  /** Jobs running across all campaigns (for the global limit). */
  get activeCount(): number {
    return this.active.size;
  }
}
