/** Images as one byte per pixel (NHWC) and one byte per label. */
export interface Examples {
  count: number;
  height: number;
  width: number;
  channels: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

export function concatExamples(parts: Examples[]): Examples {
  const [first] = parts;
  if (!first) throw new Error('no examples');
  const count = parts.reduce((n, p) => n + p.count, 0);
  const size = first.height * first.width * first.channels;
  const pixels = new Uint8Array(count * size);
  const labels = new Uint8Array(count);
  let offset = 0;
  for (const p of parts) {
    pixels.set(p.pixels, offset * size);
    labels.set(p.labels, offset);
    offset += p.count;
  }
  return { ...first, count, pixels, labels };
}
