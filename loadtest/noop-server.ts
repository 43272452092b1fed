// The ceiling: Express 5 + express.json with nothing behind it, run as its own process like
// FlagMeter so the bench's client pays the same HTTP cost against both.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.post('/api/events', express.json({ limit: 1024 * 1024, strict: false }), (_req, res) => {
  res.status(201).json({ success: true });
});
app.get('/api/health', (_req, res) => {
  res.json({ status: 'ok' });
});

const server = http.createServer({ keepAliveTimeout: 65_000 }, app);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ listening: port }));
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 1000).unref();
});
