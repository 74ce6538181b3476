import { ChannelCredentials, createChannel, createClient, createClientFactory, type Channel } from 'nice-grpc';
import { deadlineMiddleware, type DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import { HealthDefinition } from 'nice-grpc-server-health';
import { UnavailableError } from '@lth/core';
import { DataServiceDefinition, type DataServiceClient } from './gen/lth/data/v1/data';
import { EvaluationServiceDefinition, type EvaluationServiceClient } from './gen/lth/evaluation/v1/evaluation';
import { FineTuneServiceDefinition, type FineTuneServiceClient } from './gen/lth/finetune/v1/finetune';
import { PruningServiceDefinition, type PruningServiceClient } from './gen/lth/pruning/v1/pruning';
import { DEADLINES } from './deadlines';
import { FLOW_CONTROL_WINDOW_BYTES, MAX_MESSAGE_BYTES } from './server';

const CHANNEL_OPTIONS = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
  // A headless Kubernetes Service resolves to every pod; round-robin spreads calls over them.
  'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
};

/** A channel to one service address (host:port, or a resolver URI such as dns:///name:port). */
export function openChannel(address: string): Channel {
  return createChannel(address, ChannelCredentials.createInsecure(), CHANNEL_OPTIONS);
}

// Every call carries a deadline from the one table: a default per method, overridable per call.
const clients = createClientFactory().use(deadlineMiddleware);

export type DataClient = DataServiceClient<DeadlineOptions>;
export type PruningClient = PruningServiceClient<DeadlineOptions>;
export type FineTuneClient = FineTuneServiceClient<DeadlineOptions>;
export type EvaluationClient = EvaluationServiceClient<DeadlineOptions>;

export const dataClient = (channel: Channel): DataClient =>
  clients.create(DataServiceDefinition, channel, {
    listDatasets: { deadline: DEADLINES.listDatasets },
    describeDataset: { deadline: DEADLINES.describeDataset },
    streamBatches: { deadline: DEADLINES.streamBatches },
  });

export const pruningClient = (channel: Channel): PruningClient =>
  clients.create(PruningServiceDefinition, channel, {
    prune: { deadline: DEADLINES.prune },
    randomPrune: { deadline: DEADLINES.randomPrune },
    reverseMask: { deadline: DEADLINES.reverseMask },
  });

export const fineTuneClient = (channel: Channel): FineTuneClient =>
  clients.create(FineTuneServiceDefinition, channel, { fineTune: { deadline: DEADLINES.fineTune } });

export const evaluationClient = (channel: Channel): EvaluationClient =>
  clients.create(EvaluationServiceDefinition, channel, { evaluate: { deadline: DEADLINES.evaluate } });

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** Asks grpc.health.v1 whether a server is SERVING. */
export async function checkHealth(address: string, service = ''): Promise<string> {
  const channel = openChannel(address);
  try {
    const health = createClient(HealthDefinition, channel);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), DEADLINES.healthCheck);
    try {
      const { status } = await health.check({ service }, { signal: controller.signal });
      return SERVING_STATUS[status] ?? String(status);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    channel.close();
  }
}

/** Polls health until SERVING or the timeout. */
export async function waitUntilServing(address: string, timeoutMs: number, service = ''): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    try {
      last = await checkHealth(address, service);
      if (last === 'SERVING') return;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new UnavailableError(`${address} is not serving after ${timeoutMs} ms (last: ${last})`);
}
