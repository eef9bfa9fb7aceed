import { randomBytes } from 'node:crypto';
import { MultipartError, multipartBoundary, readMultipartRelated } from '../../local/storage/multipart-related';

const BOUNDARY = 'b0undary-123';

/** The body teeny-request (used by @google-cloud/storage) sends for a simple upload. */
function body(metadata: string, media: Buffer, boundary = BOUNDARY): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/json\r\n\r\n${metadata}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Type: image/png\r\n\r\n`),
    media,
    Buffer.from(`\r\n--${boundary}--`),
  ]);
}

async function* inPieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function parse(bytes: Buffer, pieceSize: number) {
  const media: Buffer[] = [];
  const result = await readMultipartRelated(inPieces(bytes, pieceSize), BOUNDARY, async (stream) => {
    for await (const chunk of stream) media.push(chunk);
  });
  return { ...result, media: Buffer.concat(media) };
}

describe('readMultipartRelated', () => {
  // Media that contains near-misses of the delimiter must pass through untouched.
  const media = Buffer.concat([randomBytes(5000), Buffer.from(`\r\n--${BOUNDARY.slice(0, -1)}X\r\n--`), randomBytes(3000)]);
  const bytes = body('{"name":"x/y.png","metadata":{"k":"v"}}', media);

  test.each([1, 2, 7, 13, 64, 1000, bytes.length])('splits metadata and media wherever the network cuts (pieces of %d)', async (size) => {
    const parsed = await parse(bytes, size);
    expect(parsed.metadataJson).toBe('{"name":"x/y.png","metadata":{"k":"v"}}');
    expect(parsed.mediaContentType).toBe('image/png');
    expect(parsed.media.equals(media)).toBe(true);
  });

  test('an empty media part is an empty object', async () => {
    const parsed = await parse(body('{}', Buffer.alloc(0)), 5);
    expect(parsed.media.length).toBe(0);
  });

  test.each([
    ['a body cut inside the media part', body('{}', Buffer.from('abc')).subarray(0, -10)],
    ['a body without a media part', Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${BOUNDARY}--`)],
    ['a body with a non-JSON first part', Buffer.from(`--${BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nhi\r\n--${BOUNDARY}\r\n\r\nx\r\n--${BOUNDARY}--`)],
    ['a body without the boundary', Buffer.from('just bytes')],
  ])('rejects %s with a MultipartError', async (_label, bad) => {
    await expect(parse(bad, 4)).rejects.toBeInstanceOf(MultipartError);
  });
});

describe('multipartBoundary', () => {
  test.each([
    ['multipart/related; boundary=abc', 'abc'],
    ['Multipart/Related; boundary="a b c"', 'a b c'],
    ['multipart/related;boundary=xyz; charset=utf-8', 'xyz'],
    ['multipart/form-data; boundary=abc', undefined],
    ['application/octet-stream', undefined],
    [undefined, undefined],
  ])('%j → %j', (contentType, expected) => {
    expect(multipartBoundary(contentType)).toBe(expected);
  });
});
