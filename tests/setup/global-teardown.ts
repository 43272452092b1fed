import { rm } from 'node:fs/promises';
import type { EmbeddedServer } from '../../server/db/embedded.ts';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __flagmeterPg?: EmbeddedServer }).__flagmeterPg;
  if (!server) return;
  await server.stop();
  if (process.env.FLAGMETER_TEST_PG_DATA) await rm(process.env.FLAGMETER_TEST_PG_DATA, { recursive: true, force: true });
}
