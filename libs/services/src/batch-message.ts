import { preEncoded, type dataV1, type PreEncoded } from '@lth/grpc-kit';

// Field tags of lth.data.v1.StreamBatchesResponse (proto/lth/data/v1/data.proto): field number << 3
// | wire type (0 varint, 2 length-delimited).
const COUNT_TAG = (1 << 3) | 0;
const PIXELS_TAG = (2 << 3) | 2;
const LABELS_TAG = (3 << 3) | 2;

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
 * A StreamBatchesResponse laid out in its protobuf encoding, with `pixels` and `labels` as views
 * into it: a batch gathered there is sent without another copy. Both sizes are at least 1 (a batch
 * holds an example), so the encoding is the one ts-proto writes.
 */
export function batchMessage(count: number, pixelBytes: number): PreEncoded<dataV1.StreamBatchesResponse> {
  const length = 1 + varintLength(count) + 1 + varintLength(pixelBytes) + pixelBytes + 1 + varintLength(count) + count;
  const wire = Buffer.allocUnsafe(length);
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
  return preEncoded({ count, pixels, labels }, wire);
}
