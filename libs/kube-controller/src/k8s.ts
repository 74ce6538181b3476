import type * as K8s from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

let loaded: typeof K8s | undefined;

/**
 * client-node is published as an ES module only, and lth builds CommonJS: TypeScript cannot
 * `import` it here, so it is require()d (Node >= 20.19 loads ES modules without top-level await
 * that way), once, on first use by the controller or the CLI's cluster commands.
 */
export function k8s(): typeof K8s {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('@kubernetes/client-node') as typeof K8s;
  return loaded;
}
export type { K8s };
