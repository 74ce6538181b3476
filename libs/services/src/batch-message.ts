import { preEncoded, type dataV1, type PreEncoded } from '@lth/grpc-kit';

// Field tags of lth.data.v1.StreamBatchesResponse (proto/lth/data/v1/data.proto): field number << 3
// | wire type (0 varint, 2 length-delimited).
const COUNT_TAG = (1 << 3) | 0;
const PIXELS_TAG = (2 << 3) | 2;
const LABELS_TAG = (3 << 3) | 2;

export type BatchMessage = PreEncoded<dataV1.StreamBatchesResponse>;

function varintLength(n: number): number {
  let length = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    length++;
  }
  return length;
}

function writeVarint(buffer: Buffer, offset: number, n: number): number {
  while (n >= 0x80) {
    buffer[offset++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buffer[offset++] = n;
  return offset;
}

/**
 * Lays a StreamBatchesResponse out in `wire` (exactly its encoded length) and returns it with
 * `pixels` and `labels` as views into it: a batch gathered there is sent without another copy.
 */
function layOut(wire: Buffer, count: number, pixelBytes: number, onEncoded?: () => void): BatchMessage {
  let offset = 0;
  wire[offset++] = COUNT_TAG;
  offset = writeVarint(wire, offset, count);
  wire[offset++] = PIXELS_TAG;
  offset = writeVarint(wire, offset, pixelBytes);
  const pixels = wire.subarray(offset, offset + pixelBytes);
  offset += pixelBytes;
  wire[offset++] = LABELS_TAG;
  offset = writeVarint(wire, offset, count);
  const labels = wire.subarray(offset, offset + count);
  return preEncoded({ count, pixels, labels }, wire, onEncoded);
}

/**
 * The encoded length of a batch. Both sizes are at least 1 (a batch holds an example), so the
 * encoding is the one ts-proto writes: no field is left out as a default.
 */
function encodedLength(count: number, pixelBytes: number): number {
  return 1 + varintLength(count) + 1 + varintLength(pixelBytes) + pixelBytes + 1 + varintLength(count) + count;
}

/**
 * The batch messages of one stream, gathered into memory that is reused once the server has
 * copied a message into its frame. A fresh megabyte-sized buffer per batch costs its page faults
 * and, held while the stream's write queue (16 messages deep) drains, outlives the young
 * generation: V8 then frees it only in mark-compacts, which took more of the data service's time
 * than gathering did. So a stream gathers at most `depth` batches ahead of the wire, into the
 * `depth` buffers it owns. One ahead streams fastest here: in `npm run bench -- --data-path`
 * (batch 2048, service in its own process) depth 1 gave 669-942 MB/s over five runs, depth 2
 * 419-932 and depth 8 283-331; more memory in flight is more garbage to collect
 * (docs/performance.md).
 */
export class BatchMessagePool {
  private readonly free: Buffer[] = [];
  private pending = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly depth = 1) {}

  /** A message for `count` examples of `pixelBytes`, to be sent through withPreEncodedResponses. */
  readonly take = (count: number, pixelBytes: number): BatchMessage => {
    const length = encodedLength(count, pixelBytes);
    const reused = this.free.findIndex((b) => b.byteLength >= length);
    const memory = reused >= 0 ? this.free.splice(reused, 1)[0]! : Buffer.allocUnsafe(length);
    this.pending++;
    let released = false;
    // Once per message, however often it is encoded: memory handed out twice would be overwritten.
    const release = (): void => {
      if (released) return;
      released = true;
      this.release(memory);
    };
    return layOut(memory.subarray(0, length), count, pixelBytes, release);
  };

  /** Resolves once fewer than `depth` messages wait to be encoded, or when `signal` aborts. */
  roomFor(signal: AbortSignal): Promise<void> {
    if (this.pending < this.depth || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private release(memory: Buffer): void {
    this.pending--;
    if (this.free.length < this.depth) this.free.push(memory);
    if (this.pending < this.depth) this.wake?.();
  }
}
