// MurmurHash3 x86 32-bit over the UTF-8 bytes of a string: the hash FlagMeter's server buckets
// users with (server/flags/murmur3.ts). The SDK is its own package and cannot import the server,
// so this is the same algorithm written for the platform (TextEncoder, no Buffer); the shared
// vectors in sdk/vectors/flag-evaluation.json are checked against both, so they cannot drift.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const utf8 = new TextEncoder();

function mix(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3_x86_32 of the UTF-8 encoding of `key`, unsigned. */
export function murmur3(key: string, seed = 0): number {
  const bytes = utf8.encode(key);
  const len = bytes.length;
  const blocks = len & ~3;
  let h = seed | 0;
  for (let i = 0; i < blocks; i += 4) {
    h = mix(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  const rem = len & 3;
  if (rem > 0) {
    let k = 0;
    if (rem === 3) k ^= bytes[blocks + 2]! << 16;
    if (rem >= 2) k ^= bytes[blocks + 1]! << 8;
    k ^= bytes[blocks]!;
    k = Math.imul(k, C1);
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

/** The user's bucket 0–99 in a group (the flag's group, else its key). */
export const bucket = (group: string, userId: string): number => murmur3(`${group}:${userId}`, 0) % 100;
