// Standard Webhooks signatures (https://www.standardwebhooks.com): every delivery carries
// webhook-id, webhook-timestamp (Unix seconds) and webhook-signature, a space-separated list of
// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret in use: during a rotation's overlap
// both the new and the previous secret sign, so a receiver may switch secrets whenever it likes.
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A fresh secret: whsec_ and 32 random bytes in base64 (the form the standardwebhooks libraries take). */
export function newSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(PREFIX.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export function signedHeaders(secrets: string[], id: string, timestamp: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => sign(s, id, timestamp, body)).join(' '),
  };
}
