/**
 * Load generation for the HTTP benchmarks, always in a process of its own:
 *  - saturation: Debian's `wrk` (C, one thread) over N keep-alive connections, each sending
 *    its next request as soon as the last is answered, cycling through pre-built requests
 *    (a Lua hook). Its latency is that closed loop's: under saturation it is mostly queueing
 *    (≈ connections / throughput), and wrk does not correct for coordinated omission;
 *  - paced: bench/_paced-client.ts sends the same kind of requests at a fixed rate and times
 *    each from its scheduled send time, so queueing behind a slow answer counts.
 * Requests are written to a file first as raw HTTP/1.1 bytes ("<length>\n<bytes>" records).
 */
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinned } from './_processes';

export interface HttpRequestSpec {
  method: 'GET' | 'POST';
  /** Absolute URL; only its host, port and path+query are used. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  /** Answers outside 2xx/3xx, and socket errors/timeouts. */
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function wrkAvailable(): boolean {
  const probe = spawnSync('wrk', ['-v'], { stdio: 'ignore' });
  return !(probe.error && (probe.error as NodeJS.ErrnoException).code === 'ENOENT');
}

/** Raw HTTP/1.1 requests, keep-alive, as the load generators send them. */
export function writeRequestFile(path: string, requests: HttpRequestSpec[]): void {
  const chunks: Buffer[] = [];
  for (const r of requests) {
    const url = new URL(r.url);
    const body = r.body === undefined ? undefined : Buffer.from(r.body);
    const head = [`${r.method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`];
    for (const [k, v] of Object.entries(r.headers ?? {})) head.push(`${k}: ${v}`);
    if (body) head.push(`content-length: ${body.length}`);
    const bytes = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body ?? Buffer.alloc(0)]);
    chunks.push(Buffer.from(`${bytes.length}\n`), bytes);
  }
  writeFileSync(path, Buffer.concat(chunks));
}

// Each wrk thread loads the file and cycles through it; done() reports in JSON (µs).
const WRK_SCRIPT = `
local requests = {}
local count = 0
local index = 0
init = function(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while pos <= #data do
    local nl = string.find(data, "\\n", pos, true)
    local len = tonumber(string.sub(data, pos, nl - 1))
    count = count + 1
    requests[count] = string.sub(data, nl + 1, nl + len)
    pos = nl + 1 + len
  end
end
request = function()
  index = index + 1
  if index > count then index = 1 end
  return requests[index]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nWRK_JSON {"requests":%d,"durationUs":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;

interface WrkJson {
  requests: number;
  durationUs: number;
  status: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
  p50: number;
  p99: number;
  max: number;
}

/** `wrk -t1 -c<connections> -d<seconds>s --latency` over the requests in `requestFile`. */
export async function runWrk(options: {
  dir: string;
  url: string;
  requestFile: string;
  connections: number;
  seconds: number;
  cpus?: string | undefined;
}): Promise<LoadResult> {
  const script = join(options.dir, 'cycle.lua');
  writeFileSync(script, WRK_SCRIPT);
  const args = [
    '-t1',
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--timeout',
    '10s',
    '--latency',
    '-s',
    script,
    options.url,
    '--',
    options.requestFile,
  ];
  const { command, args: argv } = pinned(options.cpus, 'wrk', args);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(command, argv, { maxBuffer: 1 << 20, timeout: (options.seconds + 30) * 1000 }, (err, out, errOut) => {
      if (err) reject(new Error(`wrk failed: ${err.message}\n${errOut}`));
      else resolve(out);
    });
  });
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
  const r = JSON.parse(line.slice('WRK_JSON '.length)) as WrkJson;
  return {
    requests: r.requests,
    seconds: r.durationUs / 1e6,
    errors: r.status + r.connect + r.read + r.write + r.timeout,
    p50Ms: r.p50 / 1000,
    p99Ms: r.p99 / 1000,
    maxMs: r.max / 1000,
  };
}

/** `count` requests from `requestFile` at `rate` per second over `connections` connections (bench/_paced-client.ts). */
export async function runPaced(options: PacedOptions & { cpus?: string | undefined }): Promise<LoadResult> {
  const spec: PacedOptions = { url: options.url, requestFile: options.requestFile, connections: options.connections, rate: options.rate, count: options.count };
  const script = fileURLToPath(new URL('./_paced-client.ts', import.meta.url));
  const { command, args } = pinned(options.cpus, process.execPath, ['--import', 'tsx', script, JSON.stringify(spec)]);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(command, args, { maxBuffer: 1 << 20, timeout: (options.count / options.rate + 60) * 1000 }, (err, out, errOut) => {
      if (err) reject(new Error(`paced client failed: ${err.message}\n${errOut}`));
      else resolve(out);
    });
  });
  return JSON.parse(stdout) as LoadResult;
}

export interface PacedOptions {
  url: string;
  requestFile: string;
  connections: number;
  rate: number;
  count: number;
}
