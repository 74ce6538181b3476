import type * as K8s from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

let loaded: typeof K8s | undefined;

/**
 * client-node, loaded on first use: it takes half a second, which every round driver process
 * would otherwise pay. It is published as an ES module only; Node >= 20.19 require()s ES
 * modules without top-level await, so this CommonJS build loads it synchronously.
 */
export function k8s(): typeof K8s {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('@kubernetes/client-node') as typeof K8s;
  return loaded;
}
export type { K8s };
