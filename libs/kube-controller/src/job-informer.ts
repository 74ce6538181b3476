import { LABELS } from '@lth/kube-core';
import { k8s, type K8s } from './k8s';

const KEPT_LABELS = Object.values(LABELS);

/**
 * What the controller keeps of a task Job: its identity, labels, owner and outcome. Jobs stay
 * for ttlSecondsAfterFinished (a week by default) and a full Job is several kilobytes of pod
 * template the controller never reads, so the cache holds this much instead.
 */
export function slimJob(job: K8s.V1Job): K8s.V1Job {
  const m = job.metadata ?? {};
  const s = job.status;
  return {
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      // Only lth's own labels: the ones that say which task and attempt a Job is.
      labels: m.labels && Object.fromEntries(KEPT_LABELS.flatMap((k) => (k in m.labels! ? [[k, m.labels![k]]] : []))),
      ownerReferences: m.ownerReferences?.map(({ apiVersion, kind, name, uid }) => ({ apiVersion, kind, name, uid })),
    },
    status: s && {
      active: s.active,
      startTime: s.startTime,
      completionTime: s.completionTime,
      conditions: s.conditions?.map(({ type, status, reason, message }) => ({ type, status, reason, message })),
    },
  };
}

/**
 * client-node's informer (list, then watch from the list's resourceVersion, relisting on 410
 * Gone), caching slim Jobs: both what the list returns and what each watch event carries.
 */
export function makeJobInformer(
  kubeConfig: K8s.KubeConfig,
  path: string,
  list: () => Promise<K8s.V1JobList>,
  labelSelector: string,
): K8s.Informer<K8s.V1Job> & K8s.ObjectCache<K8s.V1Job> {
  const watch = new (k8s().Watch)(kubeConfig);
  const slimWatch: Pick<K8s.Watch, 'watch'> = {
    watch: (watchPath, params, callback, done) =>
      watch.watch(
        watchPath,
        params,
        // An ERROR event carries a Status (410 Gone), not a Job: it goes through untouched.
        (phase, object: K8s.V1Job) => callback(phase, phase === 'ERROR' ? object : slimJob(object)),
        done,
      ),
  };
  const slimList = async () => {
    const jobs = await list();
    return { ...jobs, items: jobs.items.map(slimJob) };
  };
  return new (k8s().ListWatch)<K8s.V1Job>(path, slimWatch as K8s.Watch, slimList, false, labelSelector);
}
