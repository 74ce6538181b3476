import Ajv from 'ajv';

/**
 * What the kube-apiserver does with a custom resource's body before storing it, by the CRD's
 * structural schema (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/):
 * unknown fields are pruned, null where the schema does not allow it is dropped, defaults fill what
 * is missing, and the result is validated; a violation answers 422 Invalid naming the field.
 * CEL rules (x-kubernetes-validations) are not evaluated here.
 */
type Schema = { [k: string]: unknown };

/** OpenAPI 3.0 as Kubernetes writes it -> JSON Schema for ajv (the same checks the API server makes). */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const src = node as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (k.startsWith('x-kubernetes-') || k === 'nullable' || k === 'default') continue;
    if (k === 'exclusiveMinimum' || k === 'exclusiveMaximum') continue;
    out[k] = toJsonSchema(v);
  }
  if (src['exclusiveMinimum'] === true) {
    out['exclusiveMinimum'] = src['minimum'];
    delete out['minimum'];
  }
  if (src['exclusiveMaximum'] === true) {
    out['exclusiveMaximum'] = src['maximum'];
    delete out['maximum'];
  }
  if (src['nullable'] === true && typeof src['type'] === 'string') out['type'] = [src['type'], 'null'];
  // The API server prunes unknown fields and kubectl's strict field validation refuses them.
  if (src['type'] === 'object' && src['properties'] && !('additionalProperties' in src))
    out['additionalProperties'] = false;
  return out;
}

const isObject = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Prunes unknown fields, drops disallowed nulls and fills defaults, in place; returns the value. */
export function pruneAndDefault(value: unknown, schema: Schema | undefined): unknown {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields'] === true) return value;
  if (Array.isArray(value)) {
    for (const item of value) pruneAndDefault(item, schema['items'] as Schema | undefined);
    return value;
  }
  if (!isObject(value)) return value;
  const properties = schema['properties'] as Record<string, Schema> | undefined;
  const additional = schema['additionalProperties'];
  for (const key of Object.keys(value)) {
    const sub = properties?.[key] ?? (isObject(additional) ? additional : undefined);
    if (!sub) {
      if (properties || additional === false) delete value[key];
      continue;
    }
    if (value[key] === null && sub['nullable'] !== true) delete value[key];
    else pruneAndDefault(value[key], sub);
  }
  for (const [key, sub] of Object.entries(properties ?? {})) {
    if (value[key] === undefined && sub['default'] !== undefined) {
      value[key] = JSON.parse(JSON.stringify(sub['default']));
      pruneAndDefault(value[key], sub);
    }
  }
  return value;
}

/** A validator for one part of the resource (spec or status): problems as `path: message`. */
export function structuralValidator(schema: Schema, root: string): (value: unknown) => string[] {
  const check = new Ajv({ allErrors: true, strict: false }).compile(toJsonSchema(schema) as object);
  return (value) => {
    if (check(value)) return [];
    return (check.errors ?? []).map((e) => {
      const path = [root, ...e.instancePath.split('/').filter(Boolean)].join('.');
      return `${path}: Invalid value: ${e.message ?? 'invalid'}`;
    });
  };
}
