/**
 * The paced load generator (an open loop; run by bench/_load.ts in a process of its own):
 * request i is due at i / rate seconds and its latency counts from then, so a request that
 * waits for a free connection behind a slow answer is charged for the wait (no coordinated
 * omission). Sends the pre-built raw requests of the file over keep-alive sockets and reads
 * just enough of each answer (status line, content-length or chunked end). Prints a
 * LoadResult as JSON.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { LoadResult, PacedOptions } from './_load';

const spec = JSON.parse(process.argv[2]!) as PacedOptions;
const requests = readRecords(readFileSync(spec.requestFile));
const url = new URL(spec.url);

function readRecords(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < data.length) {
    const nl = data.indexOf(0x0a, pos);
    const len = Number(data.subarray(pos, nl).toString('latin1'));
    out.push(data.subarray(nl + 1, nl + 1 + len));
    pos = nl + 1 + len;
  }
  return out;
}

interface Conn {
  socket: net.Socket;
  busy: boolean;
  due: number;
  buffer: Buffer;
}

const latencies: number[] = [];
let errors = 0;
let next = 0;
let done = 0;
const idle: Conn[] = [];
const start = performance.now() + 50;
const dueAt = (i: number) => start + (i * 1000) / spec.rate;
let finished: (() => void) | undefined;

function connect(): Conn {
  const conn: Conn = { socket: net.connect(Number(url.port), url.hostname), busy: false, due: 0, buffer: Buffer.alloc(0) };
  conn.socket.setNoDelay(true);
  conn.socket.on('data', (chunk) => {
    conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
    const status = complete(conn.buffer);
    if (status === undefined) return;
    complete1(conn, status >= 200 && status < 400);
  });
  conn.socket.on('error', () => undefined);
  conn.socket.on('close', () => {
    if (conn.busy) complete1(conn, false);
    const i = idle.indexOf(conn);
    if (i >= 0) idle.splice(i, 1);
    if (done < spec.count) idle.push(connect());
  });
  return conn;
}

/** The status of a complete response in `buf`, or undefined while it is incomplete. */
function complete(buf: Buffer): number | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = buf.subarray(0, end).toString('latin1');
  const status = Number(head.slice(9, 12));
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) return buf.length >= end + 4 + Number(length[1]) ? status : undefined;
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return buf.subarray(end + 4).includes('0\r\n\r\n') ? status : undefined;
  return status;
}

function complete1(conn: Conn, ok: boolean): void {
  latencies.push(performance.now() - conn.due);
  if (!ok) errors++;
  conn.busy = false;
  conn.buffer = Buffer.alloc(0);
  done++;
  if (!conn.socket.destroyed) idle.push(conn);
  if (done >= spec.count) finished?.();
  else pump();
}

let timer: NodeJS.Timeout | undefined;
function pump(): void {
  const now = performance.now();
  while (next < spec.count && dueAt(next) <= now && idle.length > 0) {
    const conn = idle.pop()!;
    conn.busy = true;
    conn.due = dueAt(next);
    conn.socket.write(requests[next % requests.length]!);
    next++;
  }
  if (next < spec.count && !timer && idle.length > 0) {
    timer = setTimeout(
      () => {
        timer = undefined;
        pump();
      },
      Math.max(0, dueAt(next) - performance.now()),
    );
  }
}

for (let i = 0; i < spec.connections; i++) idle.push(connect());
await new Promise<void>((resolve) => {
  finished = resolve;
  setTimeout(pump, Math.max(0, start - performance.now()));
});
const seconds = (performance.now() - start) / 1000;
for (const c of [...idle]) c.socket.destroy();
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? Number.NaN;
const result: LoadResult = { requests: done, seconds, errors, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: latencies[latencies.length - 1] ?? Number.NaN };
process.stdout.write(JSON.stringify(result));
process.exit(0);
