import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pruneAndDefault, structuralValidator } from './structural-schema';

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
 *   `plural/sub`); anything the Role does not grant answers 403 Forbidden;
 * - custom resources are pruned, defaulted and validated by their CRD's structural schema (see
 *   structural-schema.ts): a spec or status the schema refuses answers 422 Invalid;
 * - watch history expires: a watch from a resourceVersion older than what is kept gets an ERROR
 *   event with 410 Gone and is closed, so the client must list again; BOOKMARK events carry the
 *   latest resourceVersion to watches that ask for them (allowWatchBookmarks);
 * - garbage collection is asynchronous: a deleted owner's dependents go a little later, not in the
 *   same request (the garbage collector is a controller of its own);
 * - list and watch honour label selectors (=, ==, !=, in, notin, exists, !exists) and the field
 *   selectors every resource supports (metadata.name, metadata.namespace); others answer 400.
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
  /** CustomResourceDefinitions (as parsed YAML) whose schemas custom resources must satisfy. */
  crds?: unknown[];
  /** Watch events kept for watches that resume from a resourceVersion (the watch cache's window). */
  historyLimit?: number;
  /** How long the garbage collector takes to delete a deleted owner's dependents. */
  gcDelayMs?: number;
  /** How often watches that asked for bookmarks get one. */
  bookmarkIntervalMs?: number;
}

export interface FakeApiServer {
  url: string;
  /** Direct access for the fake kubelet and for assertions. */
  list(plural: string, namespace?: string): Obj[];
  get(plural: string, namespace: string, name: string): Obj | undefined;
  create(plural: string, namespace: string, body: Obj): Obj;
  update(plural: string, namespace: string, body: Obj, options?: { status?: boolean }): Obj;
  remove(plural: string, namespace: string, name: string): void;
  /** Ends every open watch, as an API server restart or a load balancer would. */
  dropWatches(): void;
  /** Watches answered 410 Gone because the history they asked for had expired. */
  expiredWatches(): number;
  /** Watches open on a resource now. */
  watching(plural: string): number;
  /** Requests seen, as "METHOD path" (for assertions on who did what). */
  /** Every request, with the status code it was answered with (once answered). */
  requests: { method: string; path: string; userAgent: string; status?: number }[];
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

/** Label selector terms, split at commas outside parentheses. */
function selectorTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  terms.push(current.trim());
  return terms.filter(Boolean);
}

/**
 * Label selectors as the API server parses them (k8s.io/apimachinery/pkg/labels): `k=v`, `k==v`,
 * `k!=v` (true when k is absent), `k in (a,b)`, `k notin (a,b)`, `k` and `!k`; terms are ANDed.
 */
function matchesSelector(labels: Record<string, string> = {}, selector: string | null): boolean {
  if (!selector) return true;
  return selectorTerms(selector).every((t) => {
    const set = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(t);
    if (set) {
      const values = set[3]!.split(',').map((v) => v.trim());
      const has = set[1]! in labels && values.includes(labels[set[1]!]!);
      return set[2] === 'in' ? has : !has;
    }
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    const [k, v] = t.includes('!=') ? t.split('!=') : t.split(/==?/);
    if (t.includes('!=')) return labels[k!.trim()] !== v!.trim();
    if (v === undefined) return k!.trim() in labels;
    return labels[k!.trim()] === v.trim();
  });
}

/**
 * Field selectors: every resource supports metadata.name and metadata.namespace (=, ==, !=);
 * any other field answers 400, as the API server does for fields a resource does not index.
 */
function fieldMatcher(selector: string | null): (o: Obj) => boolean {
  if (!selector) return () => true;
  const tests = selector.split(',').map((term) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!m || !['metadata.name', 'metadata.namespace'].includes(m[1]!))
      throw new HttpError(400, 'BadRequest', `field label not supported: ${m?.[1] ?? term}`);
    const field = m[1] === 'metadata.name' ? 'name' : 'namespace';
    return (o: Obj) => (String(o.metadata[field] ?? '') === m[3]) === (m[2] !== '!=');
  });
  return (o) => tests.every((t) => t(o));
}

/**
 * metadata.generateName: the prefix and five random characters from the API server's alphabet
 * (k8s.io/apiserver/pkg/storage/names, no vowels); a name taken is retried, up to 8 times, as
 * servers since Kubernetes 1.31 do (KEP-4420), then 409.
 */
function generateName(prefix: string, taken: (name: string) => boolean): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  for (let i = 0; i < 8; i++) {
    let name = prefix;
    for (let j = 0; j < 5; j++) name += alphabet[Math.floor(Math.random() * alphabet.length)];
    if (!taken(name)) return name;
  }
  throw new HttpError(409, 'AlreadyExists', `could not generate a free name from "${prefix}"`);
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
  const historyLimit = options.historyLimit ?? 10_000;
  /** The newest resourceVersion whose event is no longer kept: watches from before it get 410. */
  let compactedRv = 0;
  let expired = 0;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const watchers = new Set<{
    plural: string;
    namespace?: string;
    selector: string | null;
    fields: (o: Obj) => boolean;
    res: ServerResponse;
  }>();
  const schemas = new Map<
    string,
    { root: Record<string, unknown>; kind: string; group: string } & Record<'spec' | 'status', (v: unknown) => string[]>
  >();
  for (const crd of (options.crds ?? []) as {
    spec: {
      group: string;
      names: { plural: string; kind: string };
      versions: { storage?: boolean; schema: { openAPIV3Schema: Record<string, unknown> } }[];
    };
  }[]) {
    const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0]!;
    const root = version.schema.openAPIV3Schema;
    const parts = (root['properties'] ?? {}) as Record<string, Record<string, unknown>>;
    schemas.set(crd.spec.names.plural, {
      root,
      kind: crd.spec.names.kind,
      group: crd.spec.group,
      spec: structuralValidator(parts['spec'] ?? {}, 'spec'),
      status: structuralValidator(parts['status'] ?? {}, 'status'),
    });
  }
  /** Prunes, defaults and validates a custom resource's spec or status by its CRD (422 if refused). */
  const admit = (plural: string, obj: Obj, part: 'spec' | 'status'): void => {
    const crd = schemas.get(plural);
    if (!crd) return;
    pruneAndDefault(obj, crd.root);
    const problems = obj[part] === undefined ? [] : crd[part](obj[part]);
    if (problems.length > 0) {
      const what = `${crd.kind}.${crd.group} "${obj.metadata.name}"`;
      throw new HttpError(422, 'Invalid', `${what} is invalid: ${problems.join(', ')}`);
    }
  };
  const requests: FakeApiServer['requests'] = [];
  const noopUpdates: string[] = [];
  let rv = 1;
  const key = (plural: string, ns: string | undefined, name: string) => `${plural}/${ns ?? ''}/${name}`;
  const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

  const listeners: { plural: string; listener: (type: WatchEvent['type'], object: Obj) => void }[] = [];
  const notify = (type: WatchEvent['type'], plural: string, object: Obj) => {
    const event: WatchEvent = { type, object: clone(object), rv: Number(object.metadata.resourceVersion), plural };
    history.push(event);
    if (history.length > historyLimit) compactedRv = history.shift()!.rv;
    for (const l of listeners) if (l.plural === plural) l.listener(type, event.object);
    for (const w of watchers) {
      if (w.plural !== plural) continue;
      if (w.namespace && w.namespace !== object.metadata.namespace) continue;
      if (!matchesSelector(object.metadata.labels, w.selector) || !w.fields(object)) continue;
      w.res.write(JSON.stringify({ type, object: event.object }) + '\n');
    }
  };

  const api: Pick<FakeApiServer, 'list' | 'get' | 'create' | 'update' | 'remove'> = {
    list: (plural, namespace) =>
      [...store.entries()].filter(([k]) => k.startsWith(`${plural}/${namespace ?? ''}`)).map(([, v]) => clone(v)),
    get: (plural, namespace, name) => {
      const o = store.get(key(plural, namespace, name));
      return o && clone(o);
    },
    create: (plural, namespace, body) => {
      const res = RESOURCES.find((r) => r.plural === plural)!;
      const name =
        body.metadata.name ??
        generateName(String(body.metadata['generateName'] ?? ''), (n) => store.has(key(plural, namespace, n)));
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
      if (res.custom) admit(plural, obj, 'spec');
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
      if (res.custom) admit(plural, next, options.status ? 'status' : 'spec');
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
      // The garbage collector deletes the dependents of a deleted owner later, in the background
      // (propagationPolicy Background), and their own dependents in turn.
      later(options.gcDelayMs ?? 300, () => {
        for (const [dk, dep] of [...store.entries()]) {
          if (dep.metadata.ownerReferences?.some((o) => o.uid === obj.metadata.uid)) {
            const [p, ns, n] = dk.split('/');
            if (store.has(dk)) api.remove(p!, ns || undefined!, n!);
          }
        }
      });
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
    const request: FakeApiServer['requests'][number] = {
      method: req.method!,
      path: url.pathname,
      userAgent: String(req.headers['user-agent'] ?? ''),
    };
    requests.push(request);
    const send = (code: number, body: unknown) => {
      request.status = code;
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
        const fields = fieldMatcher(url.searchParams.get('fieldSelector'));
        const matches = (o: Obj) => matchesSelector(o.metadata.labels, selector) && fields(o);
        if (url.searchParams.get('watch') === 'true') {
          res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
          res.flushHeaders();
          const since = Number(url.searchParams.get('resourceVersion') || 0);
          if (since > 0 && since < compactedRv) {
            // The events since then are gone: the client must list again (k8s.io/apiserver's
            // watch cache answers "too old resource version" with an ERROR event, 410 Expired).
            const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 };
            const message = `too old resource version: ${since} (${compactedRv + 1})`;
            res.end(JSON.stringify({ type: 'ERROR', object: { ...status, message } }) + '\n');
            expired++;
            return;
          }
          for (const e of history) {
            const inNamespace = !namespace || e.object.metadata.namespace === namespace;
            if (e.plural === r.plural && e.rv > since && inNamespace && matches(e.object)) {
              res.write(JSON.stringify({ type: e.type, object: e.object }) + '\n');
            }
          }
          const w = { plural: r.plural, namespace, selector, fields, res };
          watchers.add(w);
          // Bookmarks only for watches that ask (allowWatchBookmarks): an object with nothing but
          // the current resourceVersion, so a resumed watch starts late enough.
          const bookmarks =
            url.searchParams.get('allowWatchBookmarks') === 'true'
              ? setInterval(() => {
                  if (res.writableEnded) return;
                  const object = { kind: r.kind, apiVersion, metadata: { resourceVersion: String(rv) } };
                  res.write(JSON.stringify({ type: 'BOOKMARK', object }) + '\n');
                }, options.bookmarkIntervalMs ?? 1000)
              : undefined;
          req.on('close', () => {
            watchers.delete(w);
            clearInterval(bookmarks);
          });
          return;
        }
        const items = api.list(r.plural, namespace).filter(matches);
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
    expiredWatches: () => expired,
    watching: (plural) => [...watchers].filter((w) => w.plural === plural).length,
    dropWatches: () => {
      for (const w of watchers) w.res.end();
      watchers.clear();
    },
    close: () =>
      new Promise((resolve) => {
        for (const t of timers) clearTimeout(t);
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
