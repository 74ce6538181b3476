/**
 * The transport's ceiling on this machine: bare grpc-js streaming one reused buffer as every
 * message (identity serialization, nothing gathered, nothing decoded) from a bare Node process,
 * with lth's flow-control window. The data service's stream is compared with it in the same run:
 * the gap is what lth's own work costs (gathering, nice-grpc, ts-proto, the garbage its heap
 * makes expensive); the ceiling is what no change inside lth can beat.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { FLOW_CONTROL_WINDOW_BYTES } from '@lth/grpc-kit';

interface StreamRequest {
  messageBytes: number;
  messages: number;
}

const identity = (b: Buffer): Buffer => b;
const SERVICE = {
  stream: {
    path: '/lth.bench.Ceiling/Stream',
    requestStream: false,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} satisfies grpc.ServiceDefinition;

const OPTIONS = { 'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES, 'grpc.max_receive_message_length': -1 };

/** The server side, run as its own process: prints its port, streams what each request asks. */
function serveCeiling(): void {
  const server = new grpc.Server(OPTIONS);
  server.addService(SERVICE, {
    stream(call: grpc.ServerWritableStream<Buffer, Buffer>) {
      const { messageBytes, messages } = JSON.parse(call.request.toString()) as StreamRequest;
      const message = Buffer.alloc(messageBytes, 7);
      let sent = 0;
      const pump = (): void => {
        while (sent < messages) {
          sent++;
          if (!call.write(message)) {
            call.once('drain', pump);
            return;
          }
        }
        call.end();
      };
      pump();
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) throw error;
    process.stdout.write(`${port}\n`);
  });
}

export interface CeilingServer {
  /** Seconds to receive `messages` messages of `messageBytes` each. */
  stream(messageBytes: number, messages: number): Promise<number>;
  stop(): void;
}

/** Starts the bare server in its own process and connects to it from this one. */
export async function startCeilingServer(): Promise<CeilingServer> {
  const child = fork(__filename, ['--serve'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await Promise.race([
    once(child.stdout!, 'data').then(([line]) => String(line).trim()),
    once(child, 'exit').then(() => undefined),
  ]);
  if (port === undefined) throw new Error('the bare grpc-js server exited before it served');
  const Client = grpc.makeGenericClientConstructor(SERVICE, 'Ceiling');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), OPTIONS);
  return {
    stream: (messageBytes, messages) =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        const request = Buffer.from(JSON.stringify({ messageBytes, messages } satisfies StreamRequest));
        const call = (client as unknown as { stream(r: Buffer): grpc.ClientReadableStream<Buffer> }).stream(request);
        call.on('data', () => undefined);
        call.on('end', () => resolve((performance.now() - started) / 1000));
        call.on('error', reject);
      }),
    stop: () => {
      client.close();
      child.kill();
    },
  };
}

if (require.main === module && process.argv.includes('--serve')) serveCeiling();
