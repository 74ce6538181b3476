import { z } from 'zod';
import { campaignSchema, QUANTITY_PATTERN } from '@lth/core';

type Schema = { [key: string]: unknown };

/**
 * Kubernetes accepts only *structural* schemas: no defaults we do not want applied, no
 * `additionalProperties: false` beside `properties`, and junctors (oneOf) that only restate
 * constraints on properties declared outside them. This turns the JSON Schema that zod derives
 * from the campaign schema into one, so the CRD and `lth validate` share one source of truth.
 */
function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (node === null || typeof node !== 'object') return node;
  const src = node as Schema;
  if (Array.isArray(src['oneOf']) && (src['oneOf'] as Schema[]).every((v) => v['type'] === 'object'))
    return flattenUnion(src['oneOf'] as Schema[]);
  const out: Schema = {};
  for (const [key, value] of Object.entries(src)) {
    if (key === 'default' || key === '$schema') continue;
    // The API server prunes unknown fields instead; `kubectl apply` warns about them.
    if (key === 'additionalProperties' && value === false) continue;
    // Number.MAX_SAFE_INTEGER: zod's bound for "int", not a user constraint.
    if (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) continue;
    if (key === 'minimum' && value === -Number.MAX_SAFE_INTEGER) continue;
    out[key] = structural(value);
  }
  return out;
}

/** A discriminated union as one object with every variant's properties, plus oneOf of requirements. */
function flattenUnion(variants: Schema[]): Schema {
  const properties: Record<string, unknown> = {};
  const kinds: string[] = [];
  const oneOf: Schema[] = [];
  for (const v of variants) {
    const props = v['properties'] as Record<string, Schema>;
    for (const [k, p] of Object.entries(props)) {
      if (k === 'kind') kinds.push(...(p['enum'] as string[]));
      else properties[k] ??= structural(p);
    }
    oneOf.push({ properties: { kind: { enum: props['kind']!['enum'] } }, required: (v['required'] as string[]) ?? [] });
  }
  properties['kind'] = { type: 'string', enum: kinds };
  return { type: 'object', properties, required: ['name', 'kind'], oneOf };
}

/** The campaign spec as a Kubernetes structural OpenAPI v3 schema. */
export function campaignOpenApiSchema(): Schema {
  const json = z.toJSONSchema(campaignSchema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' });
  const schema = structural(json) as Schema;
  const props = schema['properties'] as Record<string, Schema>;
  // Rules zod checks with refinements, restated for the API server.
  props['pretrainings'] = {
    ...props['pretrainings'],
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
  };
  // Quantities are int-or-string, as in core/v1 ResourceRequirements.
  const quantity = () => ({
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: QUANTITY_PATTERN.source,
    'x-kubernetes-int-or-string': true,
  });
  const cluster = props['cluster'] as Schema & { properties: Record<string, Schema & { properties: Schema }> };
  const resources = cluster.properties['resources']!.properties as Record<string, Schema>;
  for (const k of ['requests', 'limits']) resources[k] = { type: 'object', additionalProperties: quantity() };
  props['imp'] = {
    ...props['imp'],
    'x-kubernetes-validations': [
      { rule: '!(has(self.rounds) && has(self.targetSparsity))', message: 'give rounds or targetSparsity, not both' },
    ],
  };
  return schema;
}
