// A minimal HTTP/1.1 keep-alive client on raw sockets: one request at a time per connection, answers
// framed by Content-Length (Express always sets it). Measured on the 2-core box against the no-op
// server: ~33 µs of client CPU per request, against ~85 µs for node:http with a keep-alive Agent
// and ~700 µs for fetch (undici is not importable without a dependency). Every µs the client spends
// is taken from the server on a shared machine, so the lightest client wins.
import net from 'node:net';

export interface Reply { status: number; body: Buffer }

/** Pre-encodes a request so the hot loop only writes a buffer. */
export function encodeRequest(method: string, path: string, body?: string, apiKey?: string): Buffer {
  const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${apiKey ? `Authorization: Bearer ${apiKey}\r\n` : ''}`;
  if (body === undefined) return Buffer.from(`${head}\r\n`);
  return Buffer.from(`${head}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

const HEADER_END = Buffer.from('\r\n\r\n');

class Connection {
  readonly socket: net.Socket;
  private buf: Buffer | undefined;
  private pending: { resolve(r: Reply): void; reject(e: Error): void } | undefined;
  private readonly onFree: (c: Connection) => void;
  dead = false;

  constructor(port: number, onFree: (c: Connection) => void) {
    this.onFree = onFree;
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  send(request: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(request);
    });
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    const end = this.buf.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    // 304 and 204 carry no body and, from Node, no Content-Length
    const bodyless = / (304|204) /.test(head.slice(8, 13));
    if (!length && !bodyless) return this.fail(new Error(`response without Content-Length: ${head.split('\r\n')[0]}`));
    const total = end + 4 + (length ? Number(length[1]) : 0);
    if (this.buf.length < total) return;
    if (this.buf.length > total) return this.fail(new Error('unexpected bytes after a response'));
    const reply = { status: Number(head.slice(9, 12)), body: this.buf.subarray(end + 4) };
    this.buf = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return this.fail(new Error('a response nobody asked for'));
    if (/\r\nconnection: *close/i.test(head)) this.close();
    else this.onFree(this);
    pending.resolve(reply);
  }

  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.socket.destroy();
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }

  /** A request still waiting is rejected: its fate on the server is unknown. */
  close(): void {
    this.fail(new Error('closed by the client before the answer came'));
  }
}

export class HttpClient {
  private idle: Connection[] = [];
  private all = new Set<Connection>();
  private readonly port: number;

  constructor(port: number) {
    this.port = port;
  }

  private open(): Connection {
    const conn = new Connection(this.port, (c) => { if (!c.dead) this.idle.push(c); });
    this.all.add(conn);
    conn.socket.once('close', () => this.all.delete(conn));
    return conn;
  }

  /**
   * Opens connections up front, as k6 pre-allocates VUs: opening them under load makes a slow moment
   * worse (every late answer opens another connection, which costs the server an accept and a slot).
   */
  async warm(count: number): Promise<void> {
    const fresh: Connection[] = [];
    while (this.all.size < count) fresh.push(this.open());
    await Promise.all(fresh.map((c) => new Promise<void>((resolve, reject) => {
      c.socket.once('connect', () => resolve());
      c.socket.once('error', reject);
    })));
    this.idle.push(...fresh);
  }

  /** The caller bounds concurrency (the generator's max in-flight): one connection per request in flight. */
  async request(request: Buffer): Promise<Reply> {
    let conn = this.idle.pop();
    while (conn?.dead) conn = this.idle.pop();
    return (conn ?? this.open()).send(request);
  }

  get connections(): number {
    return this.all.size;
  }

  close(): void {
    for (const c of this.all) c.close();
    this.all.clear();
    this.idle = [];
  }
}
