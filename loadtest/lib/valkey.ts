// The bench's share of a Valkey/Redis server (--valkey-url): a key prefix of its own, and every key
// under it deleted at the end, so a shared server is left as it was found.
import { Redis } from 'ioredis';

export interface BenchValkey {
  env: Record<string, string>;
  cleanup(): Promise<number>;
}

export function benchValkey(url: string, stamp: string): BenchValkey {
  const prefix = `flagmeter-bench-${stamp}:`;
  return {
    env: { VALKEY_URL: url, VALKEY_PREFIX: prefix },
    async cleanup() {
      const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
      client.on('error', () => undefined);
      try {
        await client.connect();
        let deleted = 0;
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          if (keys.length) deleted += await client.del(...keys);
          cursor = next;
        } while (cursor !== '0');
        return deleted;
      } finally {
        client.disconnect();
      }
    },
  };
}
