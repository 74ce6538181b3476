import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import { connect, type ServiceClients } from '@lth/driver';
import { ClientError, GrpcStatus, pruningV1 } from '@lth/grpc-kit';
import type { LocalServices, Program } from '@lth/local';
import { argv, startServices, tempDir } from './harness';

/** Calls to lth's services as a test (or a hostile client) makes them. */

export const GLOBAL_20 = {
  strategy: pruningV1.Strategy.STRATEGY_GLOBAL_MAGNITUDE,
  rate: 0.2,
  excludePatterns: [] as string[],
  pruneStem: false,
};

export interface ServedForTests {
  storeRoot: string;
  services: LocalServices;
  /** Clients of the first replica. */
  clients: ServiceClients;
  stop(): Promise<void>;
}

/** The four services on a fresh store, for one test file: started in before(), stopped in after(). */
export async function serveForTests(prefix: string): Promise<ServedForTests> {
  const storeRoot = join(await tempDir(prefix), 'store');
  const services = await startServices(storeRoot);
  const clients = connect(services.replicas[0]!);
  return {
    storeRoot,
    services,
    clients,
    stop: async () => {
      clients.close();
      await services.stop();
    },
  };
}

export function expectStatus(code: number, pattern: RegExp) {
  return (e: unknown) => {
    const err = e as ClientError;
    assert.ok(err instanceof ClientError, String(e));
    assert.equal(GrpcStatus[err.code], GrpcStatus[code], err.details);
    assert.match(err.details, pattern);
    return true;
  };
}

export async function drain(call: AsyncIterable<unknown>): Promise<unknown[]> {
  const out = [];
  for await (const m of call) out.push(m);
  return out;
}

export async function spawnService(program: Program, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, argv(program, args), { env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<{ address: string; metrics?: string }>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => l.startsWith('{') && resolve(JSON.parse(l)));
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  return { child, line, stderr: () => stderr };
}

/** Sends raw bytes as a unary request, as a client in another language (or a broken one) might. */
export function rawUnary(address: string, path: string, body: Buffer): Promise<{ code: number; details: string }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      (err) => {
        client.close();
        resolve({ code: err?.code ?? GrpcStatus.OK, details: err?.details ?? '' });
      },
    );
  });
}

/** Protobuf varint of a non-negative integer of any size. */
export function varint(n: bigint): number[] {
  const out = [];
  for (; n >= 0x80n; n >>= 7n) out.push(Number(n & 0x7fn) | 0x80);
  return [...out, Number(n)];
}

export const OPTIMIZER = {
  learningRate: 0.05,
  momentum: 0.9,
  weightDecay: 0,
  milestones: [],
  gamma: 0.1,
  warmupSteps: 0,
  schedule: 'step' as const,
};
export const fineTuneRequest = (model: string, batchSize: number, maxSteps: number) => ({
  model,
  dataset: 'mnist',
  initWeightsDigest: '',
  maskDigest: '',
  seed: 4,
  freshHead: false,
  epochs: 0,
  maxSteps,
  batchSize,
  optimizer: OPTIMIZER,
  maxExamples: 0,
});
