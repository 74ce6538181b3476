import { campaignOpenApiSchema } from './campaign-openapi';

export const CAMPAIGN_GROUP = 'lth.dev';
export const CAMPAIGN_VERSION = 'v1alpha1';
export const CAMPAIGN_PLURAL = 'campaigns';
export const CAMPAIGN_KIND = 'Campaign';

const condition = {
  type: 'object',
  required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  properties: {
    type: { type: 'string' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    observedGeneration: { type: 'integer', minimum: 0 },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    reason: { type: 'string' },
    message: { type: 'string' },
  },
};

const statusSchema = {
  type: 'object',
  properties: {
    phase: { type: 'string', enum: ['Pending', 'Running', 'Succeeded', 'Failed', 'Invalid'] },
    observedGeneration: { type: 'integer', minimum: 0 },
    /** "done/total", for the printer column. */
    progress: { type: 'string' },
    experimentsTotal: { type: 'integer', minimum: 0 },
    experimentsDone: { type: 'integer', minimum: 0 },
    experimentsFailed: { type: 'integer', minimum: 0 },
    bestWinningSparsity: { type: 'number', nullable: true },
    conditions: {
      type: 'array',
      items: condition,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
    experiments: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          model: { type: 'string' },
          pretraining: { type: 'string' },
          task: { type: 'string' },
          seed: { type: 'integer' },
          state: { type: 'string', enum: ['Pending', 'Running', 'Succeeded', 'Failed'] },
          roundsDone: { type: 'integer', minimum: 0 },
          rounds: { type: 'integer', minimum: 0 },
          branchesDone: { type: 'integer', minimum: 0 },
          branches: { type: 'integer', minimum: 0 },
          sparsity: { type: 'number' },
          testAccuracy: { type: 'number', nullable: true },
          winningSparsity: { type: 'number', nullable: true },
          message: { type: 'string' },
        },
      },
    },
    failedTasks: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          task: { type: 'string' },
          attempts: { type: 'integer', minimum: 0 },
          permanent: { type: 'boolean' },
          message: { type: 'string' },
        },
      },
    },
    retry: { type: 'string' },
  },
};

/** The Campaign CustomResourceDefinition (k8s/base/crd.yaml is this, rendered by `lth crd`). */
export function campaignCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${CAMPAIGN_PLURAL}.${CAMPAIGN_GROUP}` },
    spec: {
      group: CAMPAIGN_GROUP,
      scope: 'Namespaced',
      names: {
        kind: CAMPAIGN_KIND,
        listKind: `${CAMPAIGN_KIND}List`,
        plural: CAMPAIGN_PLURAL,
        singular: 'campaign',
        shortNames: ['ltc'],
      },
      versions: [
        {
          name: CAMPAIGN_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'Experiments', type: 'string', description: 'done/total', jsonPath: '.status.progress' },
            {
              name: 'Winning',
              type: 'number',
              description: 'best winning-ticket sparsity',
              jsonPath: '.status.bestWinningSparsity',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: campaignOpenApiSchema(),
                status: statusSchema,
              },
            },
          },
        },
      ],
    },
  };
}
