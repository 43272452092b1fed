// Buckets of non-ASCII user ids. FlagMeter hashes the UTF-8 bytes of "<group>:<id>", as Unleash's
// Go, Python, .NET and Java SDKs and its Rust engine (yggdrasil, under Unleash Edge and the newer
// SDKs) do; Unleash's Node SDK (and the Unleash server, which evaluates with it) hashes the low byte
// of each UTF-16 code unit (murmurhash3js reads key.charCodeAt(i) & 0xff). Both agree on ASCII.
import { describe, expect, test } from '@jest/globals';
import { compile, evaluate } from '../../sdk/node/src/local/evaluate.ts';
import type { Flag } from '../../server/flags/model.ts';
import { bucket, murmur3 } from '../../sdk/node/src/local/murmur3.ts';

/** murmurhash3js's x86.hash32, the Node SDK's hash: the low byte of each UTF-16 code unit, the UTF-16 length. */
const nodeSdkHash = (key: string, seed = 0) => murmur3Bytes(Buffer.from(Array.from({ length: key.length }, (_, i) => key.charCodeAt(i) & 0xff)), seed);

/** murmur3_x86_32 over raw bytes, written out independently of sdk/node/src/local/murmur3.ts (the server's and the SDK's). */
function murmur3Bytes(b: Buffer, seed: number): number {
  const mul = (a: number, c: number) => Math.imul(a, c);
  const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  let h = seed | 0;
  const n = b.length >> 2;
  for (let i = 0; i < n; i++) {
    let k = b.readUInt32LE(i * 4) | 0;
    k = mul(rotl(mul(k, 0xcc9e2d51), 15), 0x1b873593);
    h = (mul(rotl(h ^ k, 13), 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const t = n * 4;
  const rem = b.length & 3;
  if (rem === 3) k ^= b[t + 2]! << 16;
  if (rem >= 2) k ^= b[t + 1]! << 8;
  if (rem >= 1) {
    k ^= b[t]!;
    h ^= mul(rotl(mul(k, 0xcc9e2d51), 15), 0x1b873593);
  }
  h ^= b.length;
  h = mul(h ^ (h >>> 16), 0x85ebca6b);
  h = mul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// murmur3_x86_32 of the UTF-8 bytes of "rollout:<id>", seeds 0 (rollouts) and 86028157 (variants),
// computed independently with Java (String.getBytes(StandardCharsets.UTF_8) and a plain Java murmur3)
const UTF8_VECTORS: [string, number, number][] = [
  ['jürgen-1', 3630975155, 163862255], ['jürgen-2', 1289188909, 780360226], ['jürgen-42', 2432023952, 110312464],
  ['用户-1', 1389053995, 3945091579], ['用户-7', 3469890601, 3906075760], ['😀-1', 1272972574, 760123071], ['😀-99', 940319553, 889928963],
  ['Zoë', 2004800202, 2090818388], ['ユーザー', 3170355186, 692773634],
];

describe('non-ASCII ids', () => {
  test.each(UTF8_VECTORS)('%s: the UTF-8 hash the Go, Python, .NET, Java and Rust SDKs compute', (id, rollout, variant) => {
    expect(murmur3(`rollout:${id}`, 0)).toBe(rollout);
    expect(murmur3(`rollout:${id}`, 86028157)).toBe(variant);
    expect(bucket('rollout', id)).toBe(rollout % 100);
  });

  test('a variant is picked from the UTF-8 bucket: murmur3(…, 86028157) % 1000 + 1 against the weights', () => {
    const flag: Flag = {
      tenant: 't', env: 'prod', key: 'rollout', description: '', enabled: true, type: 'string', onValue: 'on', offValue: 'off', strategies: [],
      variants: [{ name: 'a', weight: 25, value: 'a' }, { name: 'b', weight: 25, value: 'b' }, { name: 'c', weight: 50, value: 'c' }], stickiness: 'default',
      dependencies: [], quotaRules: [], version: 1, createdAt: '', updatedAt: '',
    };
    const f = compile(flag, false);
    for (const [id, , variant] of UTF8_VECTORS) {
      const target = (variant % 1000) + 1;
      expect([id, evaluate(f, id).variant]).toEqual([id, target <= 250 ? 'a' : target <= 500 ? 'b' : 'c']);
    }
  });

  test('the Node SDK\'s encoding agrees on ASCII ids and not on others', () => {
    for (let i = 0; i < 2000; i++) expect(nodeSdkHash(`rollout:user-${i}`)).toBe(murmur3(`rollout:user-${i}`));
    const differ = (prefix: string) => {
      let n = 0;
      for (let i = 1; i <= 1000; i++) if (nodeSdkHash(`rollout:${prefix}-${i}`) % 100 !== murmur3(`rollout:${prefix}-${i}`) % 100) n++;
      return n / 1000;
    };
    // nearly every non-ASCII id lands in another bucket (a different percentage only moves some of them in or out)
    for (const prefix of ['jürgen', '用户', '😀']) expect(differ(prefix)).toBeGreaterThan(0.9);
  });
});
