/**
 * The transport's ceilings on this machine, each a bare server in its own process streaming one
 * reused buffer as every message to a bare client in the bench's process, nothing gathered, nothing
 * decoded, with lth's flow-control window:
 *  - `grpc`: bare grpc-js (identity serialization), the layer lth's services are built on;
 *  - `http2`: bare node:http2, one write per message, the layer grpc-js is built on.
 * The data service's stream is compared with both in the same run: the gap to grpc-js is what lth's
 * own work costs (gathering, nice-grpc, ts-proto, the garbage its heap makes expensive); the gap
 * between grpc-js and HTTP/2 is grpc-js's (a copy of every message at each end); and no change
 * inside lth can beat grpc-js's line.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { FLOW_CONTROL_WINDOW_BYTES } from '@lth/grpc-kit';

export type Transport = 'grpc' | 'http2';

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

const GRPC_OPTIONS = {
  'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
  'grpc.max_receive_message_length': -1,
};
const HTTP2_SETTINGS = { initialWindowSize: FLOW_CONTROL_WINDOW_BYTES };

/** Writes `messages` times the same buffer, waiting for 'drain' when the stream asks to. */
function pump(stream: { write(b: Buffer): boolean; once(e: 'drain', f: () => void): unknown; end(): void }) {
  return ({ messageBytes, messages }: StreamRequest): void => {
    const message = Buffer.alloc(messageBytes, 7);
    let sent = 0;
    const next = (): void => {
      while (sent < messages) {
        sent++;
        if (!stream.write(message)) {
          stream.once('drain', next);
          return;
        }
      }
      stream.end();
    };
    next();
  };
}

const announce = (port: number): void => void process.stdout.write(`${port}\n`);

/** The server side, run as its own process: prints its port, streams what each request asks. */
function serveCeiling(transport: Transport): void {
  if (transport === 'http2') {
    const server = http2.createServer({ settings: HTTP2_SETTINGS });
    server.on('stream', (stream, headers) => {
      stream.respond({ ':status': 200 });
      pump(stream)(JSON.parse(String(headers['x-request'])) as StreamRequest);
    });
    server.listen(0, '127.0.0.1', () => announce((server.address() as { port: number }).port));
    return;
  }
  const server = new grpc.Server(GRPC_OPTIONS);
  server.addService(SERVICE, {
    stream(call: grpc.ServerWritableStream<Buffer, Buffer>) {
      pump(call)(JSON.parse(call.request.toString()) as StreamRequest);
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) throw error;
    announce(port);
  });
}

export interface CeilingServer {
  /** Seconds to receive `messages` messages of `messageBytes` each. */
  stream(messageBytes: number, messages: number): Promise<number>;
  stop(): void;
}

/** Seconds from `started` until `stream` ends; counts what arrives. */
function timeStream(stream: NodeJS.EventEmitter, started: number): Promise<number> {
  return new Promise((resolve, reject) => {
    stream.on('data', () => undefined);
    stream.on('end', () => resolve((performance.now() - started) / 1000));
    stream.on('error', reject);
  });
}

function grpcClient(port: string): CeilingServer {
  const Client = grpc.makeGenericClientConstructor(SERVICE, 'Ceiling');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), GRPC_OPTIONS);
  type Streaming = { stream(r: Buffer): grpc.ClientReadableStream<Buffer> };
  return {
    stream: (messageBytes, messages) => {
      const started = performance.now();
      const request = Buffer.from(JSON.stringify({ messageBytes, messages } satisfies StreamRequest));
      return timeStream((client as unknown as Streaming).stream(request), started);
    },
    stop: () => client.close(),
  };
}

async function http2Client(port: string): Promise<CeilingServer> {
  const session = http2.connect(`http://127.0.0.1:${port}`, { settings: HTTP2_SETTINGS });
  await once(session, 'connect');
  session.setLocalWindowSize(FLOW_CONTROL_WINDOW_BYTES);
  return {
    stream: (messageBytes, messages) => {
      const started = performance.now();
      const request = JSON.stringify({ messageBytes, messages } satisfies StreamRequest);
      return timeStream(session.request({ ':path': '/', 'x-request': request }, { endStream: true }), started);
    },
    stop: () => session.close(),
  };
}

/** Starts the bare `transport` server in its own process and connects to it from this one. */
export async function startCeilingServer(transport: Transport): Promise<CeilingServer> {
  const child = fork(__filename, ['--serve', transport], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await Promise.race([
    once(child.stdout!, 'data').then(([line]) => String(line).trim()),
    once(child, 'exit').then(() => undefined),
  ]);
  if (port === undefined) throw new Error(`the bare ${transport} server exited before it served`);
  const client = transport === 'grpc' ? grpcClient(port) : await http2Client(port);
  return {
    stream: client.stream,
    stop: () => {
      client.stop();
      child.kill();
    },
  };
}

if (require.main === module && process.argv.includes('--serve')) {
  serveCeiling(process.argv[process.argv.indexOf('--serve') + 1] as Transport);
}
