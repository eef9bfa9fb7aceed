/**
 * `npm run bench -- multipart [rounds]`: the crm function's multipart reader
 * (functions/crm/multipart.ts) against busboy on the same bodies, in the same process and run:
 * a CCAI Platform-sized upload (three fields and a 40 kB file) and an 8 MiB file. Prints
 * each one's time per body and the ratio busboy / ours (above 1: busboy is slower).
 */
import { Readable } from 'node:stream';
import { parseMultipart } from '../functions/crm/multipart';

interface Shape {
  name: string;
  body: Buffer;
  contentType: string;
}

function form(fileBytes: number): Shape {
  const boundary = '----ccbridgeBench7MA4YWxkTrZu0gW';
  const file = Buffer.alloc(fileBytes, 0x61);
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const body = Buffer.concat([
    Buffer.from(field('fileName', 'call-5.mp3') + field('contentType', 'audio/mpeg') + field('idempotencyKey', 'zoom:e-1:recording-1')),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="call-5.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { name: `${Math.round(fileBytes / 1024)} kB file + 3 fields`, body, contentType: `multipart/form-data; boundary=${boundary}` };
}

async function withBusboy(body: Buffer, contentType: string): Promise<number> {
  const { default: busboy } = await import('busboy');
  return new Promise((resolve, reject) => {
    const bb = busboy({ headers: { 'content-type': contentType }, defParamCharset: 'utf8' });
    let bytes = 0;
    bb.on('file', (_name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        bytes += Buffer.concat(chunks).length;
      });
    });
    bb.on('field', () => undefined);
    bb.on('error', reject);
    bb.on('close', () => resolve(bytes));
    Readable.from([body]).pipe(bb);
  });
}

async function time(rounds: number, run: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(20, rounds); i++) await run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await run();
  return Number(process.hrtime.bigint() - start) / 1e6 / rounds;
}

export default async function main(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 200);
  for (const shape of [form(40 * 1024), form(8 * 1024 * 1024)]) {
    const n = shape.body.length > 1_000_000 ? Math.max(5, Math.round(rounds / 20)) : rounds;
    // Ours hands out views of the body; the route copies the file out (Buffer.from), so that copy is counted too.
    const ours = await time(n, () => parseMultipart(shape.body, shape.contentType).map((p) => Buffer.from(p.data).length));
    const theirs = await time(n, () => withBusboy(shape.body, shape.contentType));
    console.log(`${shape.name} (${n} bodies): ours ${ours.toFixed(3)} ms, busboy ${theirs.toFixed(3)} ms, busboy/ours ${(theirs / ours).toFixed(2)}`);
  }
}
