/** Cuts bytes at the given positions (any positions: inside a UTF-8 character, a quoted field, between \r and \n…). */
export function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/** The chunks as an async byte stream. */
export async function* stream(chunks: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
}
