import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small Kubernetes API server for tests: the REST and watch protocol for the resources lth's
 * controller uses (campaigns with the status subresource, jobs, pods, leases, events), with
 * resourceVersion, 409 on stale updates and on AlreadyExists, label selectors, generation for
 * custom resources, and owner-reference garbage collection. It is driven through the real
 * @kubernetes/client-node, and it is as strict as the real kube-apiserver where lth has been
 * caught out (each rule cites where the real server gets it):
 * - MicroTime fields parse exactly six fractional digits (see `microTimeFields`);
 * - custom resources come back with their keys sorted (see `sortKeys`);
 * - an update that changes nothing keeps the resourceVersion and sends no watch event;
 * - a request authenticated as a service account is authorised against its Role, as RBAC does
 *   (verbs from the HTTP method: get/list/watch/create/update/patch/delete; a subresource is
 *   `plural/sub`); anything the Role does not grant answers 403 Forbidden.
 */
type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  spec?: unknown;
  status?: unknown;
  [k: string]: unknown;
};
interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { uid: string }[];
  [k: string]: unknown;
}

interface Resource {
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** Custom resources bump metadata.generation on spec changes and have a status subresource. */
  custom?: boolean;
}

const RESOURCES: Resource[] = [
  { group: 'lth.dev', version: 'v1alpha1', plural: 'campaigns', kind: 'Campaign', custom: true },
  { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job' },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod' },
  { group: '', version: 'v1', plural: 'events', kind: 'Event' },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease' },
];

type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: Obj; rv: number; plural: string };

/** An RBAC rule, as a Role lists it. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export interface FakeApiServerOptions {
  /** Bearer token -> the rules of the Role bound to that account; other tokens are cluster admins. */
  roles?: Record<string, PolicyRule[]>;
}

export interface FakeApiServer {
  url: string;
  /** Direct access for the fake kubelet and for assertions. */
  list(plural: string, namespace?: string): Obj[];
  get(plural: string, namespace: string, name: string): Obj | undefined;
  create(plural: string, namespace: string, body: Obj): Obj;
  update(plural: string, namespace: string, body: Obj, options?: { status?: boolean }): Obj;
  remove(plural: string, namespace: string, name: string): void;
  /** Requests seen, as "METHOD path" (for assertions on who did what). */
  requests: { method: string; path: string; userAgent: string }[];
  /** Updates that changed nothing, as plural/name[/status]. */
  noopUpdates: string[];
  /** What each Role-bound token was allowed to do, as `group/resource:verb` (group '' for core). */
  used: Map<string, Set<string>>;
  /** In-process watch (for a simulated kubelet): every change to a resource, as it is stored. */
  onChange(plural: string, listener: (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Obj) => void): void;
  close(): Promise<void>;
}

/**
 * Lease spec.acquireTime and spec.renewTime are metav1.MicroTime, which the API server parses with
 * RFC3339Micro, "2006-01-02T15:04:05.000000Z07:00" (k8s.io/apimachinery/pkg/apis/meta/v1/
 * micro_time.go, UnmarshalJSON): exactly six fractional digits; anything else is a 400.
 */
const microTimeFields: Record<string, string[]> = { leases: ['acquireTime', 'renewTime'] };
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;

function checkMicroTimes(plural: string, body: Obj): void {
  const spec = (body.spec ?? {}) as Record<string, unknown>;
  for (const field of microTimeFields[plural] ?? []) {
    const value = spec[field];
    if (value === undefined || value === null || MICRO_TIME.test(String(value))) continue;
    throw new HttpError(
      400,
      'BadRequest',
      `Lease in version "v1" cannot be handled as a Lease: parsing time "${String(value)}" as ` +
        `"2006-01-02T15:04:05.000000Z07:00": cannot parse "${String(value).slice(19)}" as ".000000"`,
    );
  }
}

/**
 * Custom resources are stored and served as unstructured maps (k8s.io/apimachinery unstructured),
 * which Go's encoding/json writes with their keys sorted: what the controller reads back is never in
 * the order it wrote.
 */
function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
  return out as T;
}

const withoutVersion = (o: Obj) =>
  JSON.stringify(sortKeys({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } }));

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function matchesSelector(labels: Record<string, string> = {}, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const t = term.trim();
    if (!t) return true;
    const [k, v] = t.includes('!=') ? t.split('!=') : t.split('=');
    if (t.includes('!=')) return labels[k!] !== v;
    if (!t.includes('=')) return k! in labels;
    return labels[k!] === v;
  });
}

function verbOf(method: string, named: boolean, watch: boolean): string {
  if (method === 'GET') return watch ? 'watch' : named ? 'get' : 'list';
  return (
    ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method] ?? method
  );
}

export async function startFakeApiServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const used = new Map<string, Set<string>>();
  const store = new Map<string, Obj>(); // plural/namespace/name
  const history: WatchEvent[] = [];
  const watchers = new Set<{ plural: string; namespace?: string; selector: string | null; res: ServerResponse }>();
  const requests: FakeApiServer['requests'] = [];
  const noopUpdates: string[] = [];
  let rv = 1;
  const key = (plural: string, ns: string | undefined, name: string) => `${plural}/${ns ?? ''}/${name}`;
  const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

  const listeners: { plural: string; listener: (type: WatchEvent['type'], object: Obj) => void }[] = [];
  const notify = (type: WatchEvent['type'], plural: string, object: Obj) => {
    const event: WatchEvent = { type, object: clone(object), rv: Number(object.metadata.resourceVersion), plural };
    history.push(event);
    for (const l of listeners) if (l.plural === plural) l.listener(type, event.object);
    for (const w of watchers) {
      if (w.plural !== plural) continue;
      if (w.namespace && w.namespace !== object.metadata.namespace) continue;
      if (!matchesSelector(object.metadata.labels, w.selector)) continue;
      w.res.write(JSON.stringify({ type, object: event.object }) + '\n');
    }
  };

  const api: Omit<FakeApiServer, 'url' | 'close' | 'requests' | 'noopUpdates' | 'used' | 'onChange'> = {
    list: (plural, namespace) =>
      [...store.entries()].filter(([k]) => k.startsWith(`${plural}/${namespace ?? ''}`)).map(([, v]) => clone(v)),
    get: (plural, namespace, name) => {
      const o = store.get(key(plural, namespace, name));
      return o && clone(o);
    },
    create: (plural, namespace, body) => {
      const res = RESOURCES.find((r) => r.plural === plural)!;
      const name =
        body.metadata.name ?? `${String(body.metadata['generateName'] ?? 'obj-')}${randomUUID().slice(0, 5)}`;
      const k = key(plural, namespace, name);
      checkMicroTimes(plural, body);
      if (store.has(k)) throw new HttpError(409, 'AlreadyExists', `${plural} "${name}" already exists`);
      let obj: Obj = clone({
        ...body,
        apiVersion: res.group ? `${res.group}/${res.version}` : res.version,
        kind: res.kind,
      });
      obj.metadata = {
        ...obj.metadata,
        name,
        namespace,
        uid: randomUUID(),
        resourceVersion: String(++rv),
        creationTimestamp: new Date().toISOString(),
      };
      if (res.custom) obj.metadata.generation = 1;
      if (res.custom) delete obj.status;
      if (res.custom) obj = sortKeys(obj);
      store.set(k, obj);
      notify('ADDED', plural, obj);
      return clone(obj);
    },
    update: (plural, namespace, body, options = {}) => {
      const res = RESOURCES.find((r) => r.plural === plural)!;
      const k = key(plural, namespace, body.metadata.name);
      const current = store.get(k);
      if (!current) throw new HttpError(404, 'NotFound', `${plural} "${body.metadata.name}" not found`);
      checkMicroTimes(plural, body);
      if (body.metadata.resourceVersion && body.metadata.resourceVersion !== current.metadata.resourceVersion) {
        throw new HttpError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${plural} "${body.metadata.name}": the object has been modified; ` +
            'please apply your changes to the latest version and try again',
        );
      }
      let next: Obj;
      if (res.custom && options.status) next = { ...current, status: clone(body.status) };
      else if (res.custom) next = { ...clone(body), status: current.status };
      else next = clone(body);
      next.metadata = {
        ...next.metadata,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        namespace,
        resourceVersion: String(++rv),
      };
      if (res.custom)
        next.metadata.generation =
          (current.metadata.generation ?? 1) +
          (!options.status && JSON.stringify(sortKeys(body.spec)) !== JSON.stringify(sortKeys(current.spec)) ? 1 : 0);
      if (res.custom) next = sortKeys(next);
      // An update that changes nothing is not written: the resourceVersion stays and no watch event
      // goes out (k8s.io/apiserver/pkg/storage/etcd3 GuaranteedUpdate skips unchanged objects).
      if (withoutVersion(next) === withoutVersion(current)) {
        noopUpdates.push(`${plural}/${body.metadata.name}${options.status ? '/status' : ''}`);
        return clone(current);
      }
      store.set(k, next);
      notify('MODIFIED', plural, next);
      return clone(next);
    },
    remove: (plural, namespace, name) => {
      const k = key(plural, namespace, name);
      const obj = store.get(k);
      if (!obj) throw new HttpError(404, 'NotFound', `${plural} "${name}" not found`);
      store.delete(k);
      obj.metadata.resourceVersion = String(++rv);
      notify('DELETED', plural, obj);
      // Garbage collection: dependents whose owner is gone go too (cascading).
      for (const [dk, dep] of [...store.entries()]) {
        if (dep.metadata.ownerReferences?.some((o) => o.uid === obj.metadata.uid)) {
          const [p, ns, n] = dk.split('/');
          api.remove(p!, ns || undefined!, n!);
        }
      }
    },
  };

  const route = (url: URL): { res: Resource; namespace?: string; name?: string; sub?: string } => {
    const parts = url.pathname.split('/').filter(Boolean);
    let i = parts[0] === 'api' ? 2 : 3; // /api/v1/... or /apis/group/version/...
    let namespace: string | undefined;
    if (parts[i] === 'namespaces' && parts.length > i + 2) {
      namespace = parts[i + 1];
      i += 2;
    }
    const res = RESOURCES.find(
      (r) => r.plural === parts[i] && (parts[0] === 'api' ? r.group === '' : r.group === parts[1]),
    );
    if (!res) throw new HttpError(404, 'NotFound', `no resource at ${url.pathname}`);
    return { res, namespace, name: parts[i + 1], sub: parts[i + 2] };
  };

  const readBody = async (req: IncomingMessage): Promise<Obj> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Obj;
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push({ method: req.method!, path: url.pathname, userAgent: String(req.headers['user-agent'] ?? '') });
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    (async () => {
      const { res: r, namespace, name, sub } = route(url);
      const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
      const token = String(req.headers['authorization'] ?? '').replace(/^Bearer /, '');
      const rules = options.roles?.[token];
      if (rules) {
        const verb = verbOf(req.method!, name !== undefined, url.searchParams.get('watch') === 'true');
        const resource = sub ? `${r.plural}/${sub}` : r.plural;
        const allowed = rules.some(
          (rule) => rule.apiGroups.includes(r.group) && rule.resources.includes(resource) && rule.verbs.includes(verb),
        );
        if (!allowed) {
          const group = r.group ? ` in API group "${r.group}"` : ' in API group ""';
          throw new HttpError(
            403,
            'Forbidden',
            `${r.plural} is forbidden: User "${token}" cannot ${verb} resource "${resource}"${group} ` +
              `in the namespace "${namespace ?? ''}"`,
          );
        }
        const seen = used.get(token) ?? new Set<string>();
        seen.add(`${r.group}/${resource}:${verb}`);
        used.set(token, seen);
      }
      if (req.method === 'GET' && !name) {
        const selector = url.searchParams.get('labelSelector');
        if (url.searchParams.get('watch') === 'true') {
          res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
          res.flushHeaders();
          const since = Number(url.searchParams.get('resourceVersion') || 0);
          for (const e of history) {
            if (
              e.plural === r.plural &&
              e.rv > since &&
              (!namespace || e.object.metadata.namespace === namespace) &&
              matchesSelector(e.object.metadata.labels, selector)
            ) {
              res.write(JSON.stringify({ type: e.type, object: e.object }) + '\n');
            }
          }
          const w = { plural: r.plural, namespace, selector, res };
          watchers.add(w);
          req.on('close', () => watchers.delete(w));
          return;
        }
        const items = api.list(r.plural, namespace).filter((o) => matchesSelector(o.metadata.labels, selector));
        return send(200, { apiVersion, kind: `${r.kind}List`, metadata: { resourceVersion: String(rv) }, items });
      }
      if (req.method === 'GET') {
        const o = api.get(r.plural, namespace!, name!);
        if (!o) throw new HttpError(404, 'NotFound', `${r.plural} "${name}" not found`);
        return send(200, o);
      }
      if (req.method === 'POST') return send(201, api.create(r.plural, namespace!, await readBody(req)));
      if (req.method === 'PUT')
        return send(200, api.update(r.plural, namespace!, await readBody(req), { status: sub === 'status' }));
      if (req.method === 'PATCH') {
        const patch = await readBody(req);
        const current = api.get(r.plural, namespace!, name!);
        if (!current) throw new HttpError(404, 'NotFound', `${r.plural} "${name}" not found`);
        const merged = {
          ...current,
          ...patch,
          metadata: { ...current.metadata, ...(patch.metadata ?? {}), resourceVersion: undefined },
        } as Obj;
        return send(200, api.update(r.plural, namespace!, merged, { status: sub === 'status' }));
      }
      if (req.method === 'DELETE') {
        api.remove(r.plural, namespace!, name!);
        return send(200, { kind: 'Status', status: 'Success' });
      }
      throw new HttpError(405, 'MethodNotAllowed', req.method!);
    })().catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, 'InternalError', (e as Error).message);
      send(err.code, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: err.message,
        reason: err.reason,
        code: err.code,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...api,
    url: `http://127.0.0.1:${port}`,
    requests,
    noopUpdates,
    used,
    onChange: (plural, listener) => void listeners.push({ plural, listener }),
    close: () =>
      new Promise((resolve) => {
        for (const w of watchers) w.res.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A kubeconfig that points client-node at the fake server, authenticated by a bearer token. */
export function kubeconfigFor(url: string, namespace = 'lth', token = 'admin'): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'test', user: { token } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'test', namespace } }],
    'current-context': 'fake',
  });
}
