// MurmurHash3 x86 32-bit, the hash Unleash (and flagd's fractional) bucket users with. Hashes the
// UTF-8 bytes of the string, as Unleash's Go SDK ([]byte of the string), Python SDK (mmh3 hashes
// str as UTF-8), .NET SDK (Encoding.UTF8), Java SDK (getBytes(), UTF-8 by default since JDK 18)
// and Rust engine yggdrasil (a Rust String is UTF-8; it runs Unleash Edge and the newer SDKs) do.
// Unleash's Node SDK, and the Unleash server that evaluates with it, hash murmurhash3js's way: the
// low byte of each UTF-16 code unit (key.charCodeAt(i) & 0xff). Both agree on ASCII ids; other ids
// land in other buckets there (tests/flags/buckets.test.ts, docs/flags.md). Platform code only
// (TextEncoder, no Buffer): @flagmeter/sdk runs this same file in process.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBody(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, tail: number, tailLen: number, len: number): number {
  if (tailLen > 0) {
    let k = Math.imul(tail, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashBytes(bytes: Uint8Array, seed: number): number {
  let h = seed | 0;
  const len = bytes.length;
  const blocks = len & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h = mixBody(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  let tail = 0;
  const rem = len & 3;
  if (rem === 3) tail ^= bytes[blocks + 2]! << 16;
  if (rem >= 2) tail ^= bytes[blocks + 1]! << 8;
  if (rem >= 1) tail ^= bytes[blocks]!;
  return finish(h, tail, rem, len);
}

const utf8 = new TextEncoder();

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\u0000-\u007f]/;

/** murmur3_x86_32 of the UTF-8 encoding of `key`, as an unsigned 32-bit integer. */
export function murmur3(key: string, seed = 0): number {
  if (NON_ASCII.test(key)) return hashBytes(utf8.encode(key), seed);
  // ASCII: the characters are the bytes, no buffer needed (the hot path)
  let h = seed | 0;
  const len = key.length;
  const blocks = len & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h = mixBody(h, key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8) | (key.charCodeAt(i + 2) << 16) | (key.charCodeAt(i + 3) << 24));
  }
  let tail = 0;
  const rem = len & 3;
  if (rem === 3) tail ^= key.charCodeAt(blocks + 2) << 16;
  if (rem >= 2) tail ^= key.charCodeAt(blocks + 1) << 8;
  if (rem >= 1) tail ^= key.charCodeAt(blocks);
  return finish(h, tail, rem, len);
}

/** The user's bucket 0-99 in a group: Unleash's normalizedValue minus one. */
export const bucket = (group: string, userId: string): number => murmur3(`${group}:${userId}`, 0) % 100;
