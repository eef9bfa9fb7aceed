import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Agent, get as httpGet, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type File, Storage } from '@google-cloud/storage';
import { type StorageEmulator, startStorageEmulator } from '../../local/storage';

process.env['METADATA_SERVER_DETECTION'] = 'none';

const MiB = 1024 * 1024;
const PROJECT = 'test';
const BUCKET = 'ccbridge-emulator-test';

/** Lets the event loop turn until `condition` holds (no clock: the test's timeout is the bound). */
async function eventually(condition: () => boolean | undefined): Promise<void> {
  while (!condition()) await new Promise<void>((resolve) => setImmediate(resolve));
}

let emulator: StorageEmulator;
let storage: Storage;
let signer: Storage;
/** How far the emulator's clock (signed-URL expiry) runs ahead of the process's. */
let emulatorClockAheadMs = 0;
let otherSigner: Storage;
const requestLog: string[] = [];

function serviceAccountKey(email: string): { client_email: string; private_key: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    client_email: email,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

beforeAll(async () => {
  const key = serviceAccountKey('signer@test.iam.gserviceaccount.com');
  const stranger = serviceAccountKey('stranger@test.iam.gserviceaccount.com');
  emulator = await startStorageEmulator({
    signingPublicKeys: [key.publicPem],
    log: (line) => requestLog.push(line),
    now: () => new Date(Date.now() + emulatorClockAheadMs),
  });
  // A custom apiEndpoint makes the client skip authentication entirely.
  storage = new Storage({ apiEndpoint: emulator.baseUrl, projectId: PROJECT });
  // Signing happens in the client with the service account's private key (no network). The
  // v8 signer reads the key from GoogleAuth's `credentials`, which google-auth-library 11
  // flags as deprecated (a console warning); a bare JWT authClient cannot sign URLs.
  const credentials = (k: typeof key) => ({ client_email: k.client_email, private_key: k.private_key });
  signer = new Storage({ apiEndpoint: emulator.baseUrl, projectId: PROJECT, credentials: credentials(key) });
  otherSigner = new Storage({ apiEndpoint: emulator.baseUrl, projectId: PROJECT, credentials: credentials(stranger) });
  await storage.createBucket(BUCKET);
});

afterAll(async () => {
  await emulator?.stop();
});

const bucket = () => storage.bucket(BUCKET);

/** Deterministic pseudo-random bytes, produced block by block so the test never holds them all. */
async function* pseudoRandomBytes(total: number, seed: number, blockSize = MiB): AsyncGenerator<Buffer> {
  let state = seed >>> 0 || 1;
  for (let produced = 0; produced < total; produced += blockSize) {
    const block = Buffer.allocUnsafe(Math.min(blockSize, total - produced));
    for (let i = 0; i + 4 <= block.length; i += 4) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      block.writeUInt32LE(state >>> 0, i);
    }
    for (let i = block.length - (block.length % 4); i < block.length; i++) block[i] = i & 0xff;
    yield block;
  }
}

async function sha256OfGenerator(source: AsyncIterable<Buffer>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of source) hash.update(chunk);
  return hash.digest('hex');
}

async function sha256OfDownload(file: File): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(
    file.createReadStream(),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done();
      },
    }),
  );
  return hash.digest('hex');
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

async function expectRejectCode(promise: Promise<unknown>, code: number): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    expect(errorCode(error)).toBe(code);
    return error;
  }
  throw new Error(`expected the call to fail with ${code}, it succeeded`);
}

describe('buckets through @google-cloud/storage', () => {
  test('a bucket is created, read, listed, and deleted; deleting a non-empty bucket is refused with 409', async () => {
    const [created] = await storage.createBucket('scratch-bucket');
    expect(created.name).toBe('scratch-bucket');
    await expectRejectCode(storage.createBucket('scratch-bucket'), 409);
    const [metadata] = await storage.bucket('scratch-bucket').getMetadata();
    expect(metadata.name).toBe('scratch-bucket');
    const [buckets] = await storage.getBuckets();
    expect(buckets.map((b) => b.name)).toEqual(expect.arrayContaining([BUCKET, 'scratch-bucket']));

    await storage.bucket('scratch-bucket').file('keep').save('x', { resumable: false });
    await expectRejectCode(storage.bucket('scratch-bucket').delete(), 409);
    await storage.bucket('scratch-bucket').file('keep').delete();
    await storage.bucket('scratch-bucket').delete();
    const [exists] = await storage.bucket('scratch-bucket').exists();
    expect(exists).toBe(false);
    await expectRejectCode(storage.bucket('no-such-bucket').getMetadata(), 404);
  });
});

describe('uploads and downloads through @google-cloud/storage', () => {
  test('a simple (multipart) upload reads back byte-identical, with the md5 and crc32c GCS would report', async () => {
    const bytes = Buffer.concat(await Array.fromAsync(pseudoRandomBytes(3 * MiB + 17, 7)));
    const file = bucket().file('simple/one.bin');
    await file.save(bytes, { resumable: false, contentType: 'application/x-test', metadata: { metadata: { a: '1' } } });

    const [downloaded] = await file.download();
    expect(sha256(downloaded)).toBe(sha256(bytes));
    const [metadata] = await file.getMetadata();
    expect(metadata).toMatchObject({
      kind: 'storage#object',
      bucket: BUCKET,
      name: 'simple/one.bin',
      size: String(bytes.length),
      contentType: 'application/x-test',
      md5Hash: createHash('md5').update(bytes).digest('base64'),
      metadata: { a: '1' },
      metageneration: '1',
    });
    // The client checks crc32c on download by default; md5 on request.
    const [viaMd5] = await file.download({ validation: 'md5' });
    expect(viaMd5.equals(bytes)).toBe(true);
    const stored = emulator.listAll().find((o) => o.name === 'simple/one.bin');
    expect(stored).toMatchObject({ size: bytes.length, crc32c: metadata.crc32c, contentType: 'application/x-test' });
  });

  test('a media upload (uploadType=media) stores the body with its Content-Type', async () => {
    const response = await fetch(`${emulator.baseUrl}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent('media/a b.txt')}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: 'hello media',
    });
    expect(response.status).toBe(200);
    const [text] = await bucket().file('media/a b.txt').download();
    expect(text.toString()).toBe('hello media');
    const [metadata] = await bucket().file('media/a b.txt').getMetadata();
    expect(metadata.contentType).toBe('text/plain');
  });

  test('a 20 MiB resumable upload streamed from a generator in 8 MiB chunks reads back byte-identical', async () => {
    const total = 20 * MiB + 12345;
    const expected = await sha256OfGenerator(pseudoRandomBytes(total, 42));
    const file = bucket().file('recordings/call-1.wav');
    const before = requestLog.length;
    await pipeline(Readable.from(pseudoRandomBytes(total, 42)), file.createWriteStream({ resumable: true, chunkSize: 8 * MiB, contentType: 'audio/wav' }));
    const chunkRequests = requestLog.slice(before).filter((l) => l.includes(' PUT ') && l.includes('upload_id='));
    expect(chunkRequests).toHaveLength(3);
    expect(chunkRequests.filter((l) => / 308 /.test(l))).toHaveLength(2);

    expect(await sha256OfDownload(file)).toBe(expected);
    const [metadata] = await file.getMetadata();
    expect(metadata.size).toBe(String(total));
    expect(metadata.contentType).toBe('audio/wav');
  });

  test('a single-request resumable upload (no chunkSize) reads back byte-identical', async () => {
    const bytes = Buffer.concat(await Array.fromAsync(pseudoRandomBytes(2 * MiB + 3, 9)));
    const file = bucket().file('resumable/single.bin');
    await file.save(bytes, { resumable: true });
    expect(sha256((await file.download())[0])).toBe(sha256(bytes));
  });

  test('an empty object can be written by every upload path and reads back empty', async () => {
    const paths = [
      ['empty/simple', { resumable: false }],
      ['empty/resumable', { resumable: true }],
      ['empty/chunked', { resumable: true, chunkSize: 256 * 1024 }],
    ] as const;
    for (const [name, options] of paths) {
      await pipeline(Readable.from([]), bucket().file(name).createWriteStream(options));
      const [content] = await bucket().file(name).download();
      expect({ name, length: content.length }).toEqual({ name, length: 0 });
    }
  });

  test('a second write with ifGenerationMatch: 0 is refused with 412 (simple and resumable) and the first stays', async () => {
    const file = bucket().file('guarded/first-wins.txt');
    await file.save('first', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const [{ generation }] = await file.getMetadata();

    const simple = await expectRejectCode(file.save('second', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }), 412);
    expect(String(simple)).toMatch(/pre-conditions/);
    await expectRejectCode(file.save('third', { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } }), 412);

    const [content] = await file.download();
    expect(content.toString()).toBe('first');
    const [after] = await file.getMetadata();
    expect(after.generation).toBe(generation);

    // Matching the live generation is allowed, and makes the generation increase.
    await file.save('replaced', { resumable: false, preconditionOpts: { ifGenerationMatch: Number(generation) } });
    const [replaced] = await file.getMetadata();
    expect(BigInt(String(replaced.generation))).toBeGreaterThan(BigInt(String(generation)));
    await expectRejectCode(file.save('stale', { resumable: false, preconditionOpts: { ifGenerationMatch: Number(generation) } }), 412);
  });

  test('a resumable upload whose object appears meanwhile is refused with 412 at completion', async () => {
    const file = bucket().file('guarded/raced.txt');
    const [uri] = await file.createResumableUpload({ preconditionOpts: { ifGenerationMatch: 0 } });
    await file.save('winner', { resumable: false });
    const response = await fetch(uri, { method: 'PUT', headers: { 'Content-Range': 'bytes 0-4/5' }, body: 'loser' });
    expect(response.status).toBe(412);
    const body = (await response.json()) as { error: { code: number; errors: Array<{ reason: string }> } };
    expect(body.error.code).toBe(412);
    expect(body.error.errors[0]?.reason).toBe('conditionNotMet');
    expect((await file.download())[0].toString()).toBe('winner');
  });

  test('two resumable uploads racing with ifGenerationMatch: 0 produce one object and one 412', async () => {
    const file = bucket().file('guarded/race.txt');
    const [uriA] = await file.createResumableUpload({ preconditionOpts: { ifGenerationMatch: 0 } });
    const [uriB] = await file.createResumableUpload({ preconditionOpts: { ifGenerationMatch: 0 } });
    const finish = (uri: string, body: string) =>
      fetch(uri, { method: 'PUT', headers: { 'Content-Range': `bytes 0-${body.length - 1}/${body.length}` }, body });
    const statuses = (await Promise.all([finish(uriA, 'AAAA'), finish(uriB, 'BBBB')])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 412]);
    expect(['AAAA', 'BBBB']).toContain((await file.download())[0].toString());
  });

  test('an object stored gzip-encoded is served as gzip to the client and decompressed for others', async () => {
    const text = 'compressible text, '.repeat(2000);
    const file = bucket().file('gzip/notes.txt');
    await file.save(text, { resumable: false, gzip: true, contentType: 'text/plain' });
    const [metadata] = await file.getMetadata();
    expect(metadata.contentEncoding).toBe('gzip');
    expect(Number(metadata.size)).toBeLessThan(text.length);
    // The client asks for gzip, validates the stored bytes' crc32c, then decompresses.
    expect((await file.download())[0].toString()).toBe(text);

    const fetchRaw = (acceptEncoding: string | undefined) =>
      new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        const headers = acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding };
        httpGet(`${emulator.baseUrl}/storage/v1/b/${BUCKET}/o/gzip%2Fnotes.txt?alt=media`, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        }).on('error', reject);
      });
    const asGzip = await fetchRaw('gzip');
    expect(asGzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(asGzip.body).toString()).toBe(text);
    const transcoded = await fetchRaw(undefined);
    expect(transcoded.headers['content-encoding']).toBeUndefined();
    expect(transcoded.body.toString()).toBe(text);
  });

  test('a ranged download returns exactly the requested bytes (start-end, open end, suffix)', async () => {
    const bytes = Buffer.concat(await Array.fromAsync(pseudoRandomBytes(1 * MiB, 3)));
    const file = bucket().file('ranged.bin');
    await file.save(bytes, { resumable: false });

    const [middle] = await file.download({ start: 1000, end: 1999 });
    expect(middle.equals(bytes.subarray(1000, 2000))).toBe(true);
    const [tail] = await file.download({ start: bytes.length - 10 });
    expect(tail.equals(bytes.subarray(bytes.length - 10))).toBe(true);
    const [suffix] = await file.download({ end: -100 });
    expect(suffix.equals(bytes.subarray(bytes.length - 100))).toBe(true);

    const response = await fetch(`${emulator.baseUrl}/download/storage/v1/b/${BUCKET}/o/ranged.bin?alt=media`, {
      headers: { Range: 'bytes=10-19' },
    });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 10-19/${bytes.length}`);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);
    const beyond = await fetch(`${emulator.baseUrl}/storage/v1/b/${BUCKET}/o/ranged.bin?alt=media`, {
      headers: { Range: `bytes=${bytes.length}-` },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
  });

  test('a missing object is a 404 with a GCS JSON error body', async () => {
    await expectRejectCode(bucket().file('nope').download(), 404);
    await expectRejectCode(bucket().file('nope').getMetadata(), 404);
    const response = await fetch(`${emulator.baseUrl}/storage/v1/b/${BUCKET}/o/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: 404, message: `No such object: ${BUCKET}/nope`, errors: [expect.objectContaining({ reason: 'notFound' })] },
    });
  });
});

describe('listing, metadata, copy and delete through @google-cloud/storage', () => {
  const listBucket = 'listing-bucket';
  beforeAll(async () => {
    await storage.createBucket(listBucket);
    for (const name of ['a/1', 'a/2', 'a/b/3', 'a/b/4', 'a/c/5', 'b/6', 'top']) {
      await storage.bucket(listBucket).file(name).save(name, { resumable: false });
    }
  });

  test('listing honours prefix and delimiter (folded into prefixes)', async () => {
    const [files, , response] = await storage.bucket(listBucket).getFiles({ prefix: 'a/', delimiter: '/', autoPaginate: false });
    expect(files.map((f) => f.name)).toEqual(['a/1', 'a/2']);
    expect((response as { prefixes?: string[] }).prefixes).toEqual(['a/b/', 'a/c/']);

    const [all] = await storage.bucket(listBucket).getFiles();
    expect(all.map((f) => f.name)).toEqual(['a/1', 'a/2', 'a/b/3', 'a/b/4', 'a/c/5', 'b/6', 'top']);
    const [underB] = await storage.bucket(listBucket).getFiles({ prefix: 'a/b/' });
    expect(underB.map((f) => f.name)).toEqual(['a/b/3', 'a/b/4']);
  });

  test('listing pages with maxResults and pageToken cover every object exactly once', async () => {
    const names: string[] = [];
    let query: { maxResults: number; autoPaginate: false; pageToken?: string } | null = {
      maxResults: 3,
      autoPaginate: false,
    };
    let pages = 0;
    while (query) {
      const [files, next]: [File[], { pageToken?: string } | null, unknown] = await storage.bucket(listBucket).getFiles(query);
      names.push(...files.map((f) => f.name));
      pages++;
      query = next?.pageToken ? { maxResults: 3, autoPaginate: false, pageToken: next.pageToken } : null;
    }
    expect(pages).toBe(3);
    expect(names).toEqual(['a/1', 'a/2', 'a/b/3', 'a/b/4', 'a/c/5', 'b/6', 'top']);

    // With a delimiter, prefixes count towards the page size too.
    const [first, next, raw] = await storage.bucket(listBucket).getFiles({ delimiter: '/', maxResults: 2, autoPaginate: false });
    expect(first).toEqual([]);
    expect((raw as { prefixes?: string[] }).prefixes).toEqual(['a/', 'b/']);
    expect(next?.pageToken).toEqual(expect.any(String));
    const [second] = await storage.bucket(listBucket).getFiles({ delimiter: '/', maxResults: 2, autoPaginate: false, pageToken: String(next?.pageToken) });
    expect(second.map((f) => f.name)).toEqual(['top']);
  });

  test('a metadata patch merges custom metadata, clears null keys, and bumps metageneration', async () => {
    const file = storage.bucket(listBucket).file('top');
    await file.setMetadata({ contentType: 'text/plain', metadata: { owner: 'ops', stage: 'raw' } });
    await file.setMetadata({ metadata: { stage: null, extra: 'x' } });
    const [metadata] = await file.getMetadata();
    expect(metadata.contentType).toBe('text/plain');
    expect(metadata.metadata).toEqual({ owner: 'ops', extra: 'x' });
    expect(metadata.metageneration).toBe('3');
    await expectRejectCode(file.setMetadata({ metadata: { late: '1' } }, { ifMetagenerationMatch: 1 }), 412);
    expect((await file.download())[0].toString()).toBe('top');
  });

  test('a copy reproduces the bytes under the new name', async () => {
    await storage.bucket(listBucket).file('b/6').copy(storage.bucket(BUCKET).file('copied/6'));
    const [copied] = await storage.bucket(BUCKET).file('copied/6').download();
    expect(copied.toString()).toBe('b/6');
  });

  test('a deleted object is gone; deleting it again is 404', async () => {
    const file = storage.bucket(listBucket).file('a/c/5');
    await file.delete();
    expect((await file.exists())[0]).toBe(false);
    await expectRejectCode(file.delete(), 404);
  });
});

describe('abandoned resumable uploads', () => {
  test('an upload abandoned after its first chunk leaves no object', async () => {
    const file = bucket().file('abandoned/by-client.bin');
    const stream = file.createWriteStream({ resumable: true, chunkSize: 256 * 1024 });
    const firstChunkAccepted = new Promise<void>((resolve) => {
      const before = requestLog.length;
      const timer = setInterval(() => {
        if (requestLog.slice(before).some((l) => l.includes('upload_id=') && / 308 /.test(l))) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    stream.on('error', () => undefined);
    stream.write(Buffer.alloc(700 * 1024, 1));
    await firstChunkAccepted;
    stream.destroy(new Error('client crashed'));

    expect((await file.exists())[0]).toBe(false);
    expect(emulator.listAll().filter((o) => o.name.startsWith('abandoned/'))).toEqual([]);
  });

  test('a single-request upload cut off mid-body leaves no object, and the session reports what it holds', async () => {
    const file = bucket().file('abandoned/cut.bin');
    const [uri] = await file.createResumableUpload();
    await new Promise<void>((resolve) => {
      const req = httpRequest(uri, { method: 'PUT', headers: { 'Content-Range': 'bytes 0-*/*' } });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(512 * 1024, 2), () => {
        // Once the server has every byte that was sent, die like a crashed client.
        const session = () => emulator.uploadsInProgress().find((u) => u.name === 'abandoned/cut.bin');
        void eventually(() => (session()?.received ?? 0) + (session()?.arriving ?? 0) >= 512 * 1024).then(() => {
          req.destroy();
          resolve();
        });
      });
    });
    // The server has noticed the reset and persisted what arrived.
    await eventually(() => {
      const session = emulator.uploadsInProgress().find((u) => u.name === 'abandoned/cut.bin');
      return session !== undefined && !session.receiving && session.received === 512 * 1024;
    });
    expect((await file.exists())[0]).toBe(false);
    const status = await fetch(uri, { method: 'PUT', headers: { 'Content-Range': 'bytes */*' } });
    expect(status.status).toBe(308);
    expect(status.headers.get('range')).toBe(`bytes=0-${512 * 1024 - 1}`);

    // The session can still be finished from where it stopped.
    const rest = await fetch(uri, {
      method: 'PUT',
      headers: { 'Content-Range': `bytes ${512 * 1024}-${512 * 1024 + 9}/${512 * 1024 + 10}` },
      body: Buffer.alloc(10, 3),
    });
    expect(rest.status).toBe(200);
    const [metadata] = await file.getMetadata();
    expect(metadata.size).toBe(String(512 * 1024 + 10));
  });
});

describe('V4 signed URLs', () => {
  const content = Buffer.from('signed content: 0123456789');
  beforeAll(async () => {
    await bucket().file('signed/report.txt').save(content, { resumable: false, contentType: 'text/plain' });
  });

  const signedUrl = async (s: Storage, name: string, expires: number): Promise<string> =>
    (await s.bucket(BUCKET).file(name).getSignedUrl({ version: 'v4', action: 'read', expires }))[0];

  test('a valid signed URL serves the bytes, with Range support', async () => {
    const url = await signedUrl(signer, 'signed/report.txt', Date.now() + 60_000);
    expect(url.startsWith(`${emulator.baseUrl}/${BUCKET}/signed/report.txt?`)).toBe(true);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(Buffer.from(await response.arrayBuffer()).equals(content)).toBe(true);

    const ranged = await fetch(url, { headers: { Range: 'bytes=7-13' } });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe('content');
  });

  test('a signed URL is served until it expires, then refused with 400 ExpiredToken', async () => {
    const url = await signedUrl(signer, 'signed/report.txt', Date.now() + 60_000);
    expect((await fetch(url)).status).toBe(200);
    emulatorClockAheadMs = 62_000;
    try {
      const response = await fetch(url);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('<Code>ExpiredToken</Code>');
    } finally {
      emulatorClockAheadMs = 0;
    }
  });

  test('a tampered or foreign-signed URL is refused with 403 SignatureDoesNotMatch', async () => {
    const url = new URL(await signedUrl(signer, 'signed/report.txt', Date.now() + 60_000));
    const otherObject = new URL(url);
    otherObject.pathname = `/${BUCKET}/guarded/first-wins.txt`;
    const longer = new URL(url);
    longer.searchParams.set('X-Goog-Expires', '604800');
    const foreign = await signedUrl(otherSigner, 'signed/report.txt', Date.now() + 60_000);
    for (const tampered of [otherObject.href, longer.href, foreign]) {
      const response = await fetch(tampered);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    }
    const unsigned = await fetch(`${emulator.baseUrl}/${BUCKET}/signed/report.txt`);
    expect(unsigned.status).toBe(403);
  });
});

describe('fault injection', () => {
  test('an injected 503 reaches a client that does not retry', async () => {
    await bucket().file('faulty.txt').save('ok', { resumable: false });
    const noRetry = new Storage({ apiEndpoint: emulator.baseUrl, projectId: PROJECT, retryOptions: { autoRetry: false } });
    emulator.injectFault({ method: 'GET', pathIncludes: '/o/faulty.txt', status: 503, times: 1 });
    await expectRejectCode(noRetry.bucket(BUCKET).file('faulty.txt').getMetadata(), 503);
    // The fault was used up: the next request is served.
    const [metadata] = await noRetry.bucket(BUCKET).file('faulty.txt').getMetadata();
    expect(metadata.name).toBe('faulty.txt');
  });

  test('a client with retries rides over one injected 503 on a resumable chunk', async () => {
    const file = bucket().file('faulty-upload.bin');
    const bytes = Buffer.alloc(300 * 1024, 5);
    emulator.injectFault({ method: 'PUT', pathIncludes: 'upload_id=', status: 503, times: 1 });
    const retrying = new Storage({
      apiEndpoint: emulator.baseUrl,
      projectId: PROJECT,
      retryOptions: { retryDelayMultiplier: 1.1, maxRetryDelay: 1, totalTimeout: 10 },
    });
    // Without a precondition the client deems the upload non-idempotent and does not retry it.
    await retrying
      .bucket(BUCKET)
      .file('faulty-upload.bin')
      .save(bytes, { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } });
    expect(requestLog.filter((l) => l.includes('upload_id=') && / 503 /.test(l))).toHaveLength(1);
    expect((await file.download())[0].equals(bytes)).toBe(true);
  });

  test('a fault with a probability answers that share of the matching requests until cleared, and is counted', async () => {
    const draws = [0.5, 0.05, 0.5, 0.01];
    const own = await startStorageEmulator({ faultRandom: () => draws.shift() ?? 1 });
    try {
      const url = `${own.baseUrl}/storage/v1/b/some-bucket`;
      own.injectFault({ method: 'GET', pathIncludes: '/b/some-bucket', status: 503, probability: 0.1 });
      // Draws 0.5 (served: 404, no such bucket), 0.05 (503), 0.5 (served), 0.01 (503).
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(url)).status);
      expect(statuses).toEqual([404, 503, 404, 503]);
      expect(own.faultCounts()).toEqual({ 503: 2 });
      own.clearFaults();
      expect((await fetch(url)).status).toBe(404);
      expect(() => own.injectFault({ status: 503, probability: 0 })).toThrow(/probability/);
      expect(() => own.injectFault({ status: 503 })).toThrow(/times/);
    } finally {
      await own.stop();
    }
  });
});

describe('uploads in progress', () => {
  test('an open resumable session shows the bytes arriving; one whose client vanished keeps what arrived and never becomes an object', async () => {
    const name = 'cut-off.bin';
    const started = await fetch(`${emulator.baseUrl}/upload/storage/v1/b/${BUCKET}/o?uploadType=resumable&name=${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const session = started.headers.get('location')!;
    const request = httpRequest(session, { method: 'PUT', headers: { 'content-range': 'bytes 0-*/*' } });
    const failed = new Promise<void>((resolve) => request.on('error', () => resolve()));
    request.write(Buffer.alloc(100_000, 7));
    const ofThis = () => emulator.uploadsInProgress().find((u) => u.bucket === BUCKET && u.name === name);
    await eventually(() => (ofThis()?.arriving ?? 0) >= 100_000);
    // Below the emulator's write batch, the bytes have arrived but are not in the file yet.
    expect(ofThis()).toEqual({ bucket: BUCKET, name, received: 0, receiving: true, arriving: 100_000 });
    request.destroy();
    await failed;
    await eventually(() => ofThis()?.receiving === false);
    expect(ofThis()).toEqual({ bucket: BUCKET, name, received: 100_000, receiving: false, arriving: 0 });
    expect(emulator.listAll().some((o) => o.name === name)).toBe(false);
  });
});

describe('STORAGE_EMULATOR_HOST', () => {
  test('a client configured only by STORAGE_EMULATOR_HOST uploads and downloads', async () => {
    process.env['STORAGE_EMULATOR_HOST'] = emulator.baseUrl;
    try {
      const viaEnv = new Storage({ projectId: PROJECT });
      const file = viaEnv.bucket(BUCKET).file('env/hello.txt');
      await file.save('via env', { resumable: false });
      await viaEnv.bucket(BUCKET).file('env/resumable.txt').save('via env, resumable', { resumable: true });
      expect((await file.download())[0].toString()).toBe('via env');
      const [files] = await viaEnv.bucket(BUCKET).getFiles({ prefix: 'env/' });
      expect(files.map((f) => f.name)).toEqual(['env/hello.txt', 'env/resumable.txt']);
    } finally {
      delete process.env['STORAGE_EMULATOR_HOST'];
    }
  });
});

describe('emulator lifecycle', () => {
  test('stop() closes a keep-alive connection and an upload in flight instead of waiting for them, and removes its temp dir', async () => {
    const own = await startStorageEmulator();
    const client = new Storage({ apiEndpoint: own.baseUrl, projectId: PROJECT });
    await client.createBucket('lifecycle');
    await client.bucket('lifecycle').file('kept').save('x', { resumable: false });
    expect(readdirSync(join(own.dir, 'objects'))).toHaveLength(1);

    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve) => httpGet(`${own.baseUrl}/`, { agent }, (res) => res.resume().on('end', resolve)));
    const upload = httpRequest(`${own.baseUrl}/upload/storage/v1/b/lifecycle/o?uploadType=media&name=hanging`, {
      method: 'POST',
      headers: { 'Content-Length': String(10 * MiB) },
    });
    upload.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => upload.on('close', () => resolve()));
    // The first MiB has left the client: the connection is open and the upload under way.
    await new Promise<void>((resolve) => upload.write(Buffer.alloc(MiB), () => resolve()));

    // The upload never completes (9 MiB are never sent): stop() resolving at all shows it did not wait for it.
    await own.stop();
    await closed;
    expect(existsSync(own.dir)).toBe(false);
    agent.destroy();
  });

  test('a directory given by the caller is left in place by stop()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storage-emulator-test-'));
    try {
      const own = await startStorageEmulator({ dir });
      expect(own.dir).toBe(dir);
      const client = new Storage({ apiEndpoint: own.baseUrl, projectId: PROJECT });
      await client.createBucket('given-dir');
      await client.bucket('given-dir').file('obj').save('bytes on disk', { resumable: false });
      await own.stop();
      expect(readdirSync(join(dir, 'objects'))).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
