import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { UnavailableError } from '@lth/core';
import { DataServiceClient } from './gen/lth/data/v1/data';
import { EvaluationServiceClient } from './gen/lth/evaluation/v1/evaluation';
import { FineTuneServiceClient } from './gen/lth/finetune/v1/finetune';
import { PruningServiceClient } from './gen/lth/pruning/v1/pruning';
import { MAX_MESSAGE_BYTES } from './server';
import { DEADLINES, deadlineIn } from './deadlines';

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  // A headless Kubernetes Service resolves to every pod; round-robin spreads calls over them.
  'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
};

const credentials = () => grpc.credentials.createInsecure();

export const dataClient = (address: string) => new DataServiceClient(address, credentials(), CHANNEL_OPTIONS);
export const pruningClient = (address: string) => new PruningServiceClient(address, credentials(), CHANNEL_OPTIONS);
export const fineTuneClient = (address: string) => new FineTuneServiceClient(address, credentials(), CHANNEL_OPTIONS);
export const evaluationClient = (address: string) =>
  new EvaluationServiceClient(address, credentials(), CHANNEL_OPTIONS);

const HealthClient = grpc.makeGenericClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'Health');

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

/** Calls a unary method with a deadline, as a promise. */
export function callUnary<Req, Res>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  deadlineMs: number,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, request, new grpc.Metadata(), { deadline: deadlineIn(deadlineMs) }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

/** Asks grpc.health.v1 whether a server is SERVING. */
export function checkHealth(address: string, service = ''): Promise<string> {
  const client = new HealthClient(address, credentials());
  return new Promise<string>((resolve, reject) => {
    (client as unknown as { check: UnaryMethod<{ service: string }, { status: string | number }> }).check(
      { service },
      new grpc.Metadata(),
      { deadline: deadlineIn(DEADLINES.healthCheck) },
      (error, response) => {
        client.close();
        if (error) reject(error);
        else
          resolve(
            typeof response.status === 'number'
              ? ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'][response.status]!
              : response.status,
          );
      },
    );
  });
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
