/**
 * Hostile inputs every endpoint gets, whatever it does: broken JSON, wrong media types and
 * encodings, values of the wrong type, oversized bodies and headers, and requests cut or
 * lying about their length (raw bytes). Plus the personal data the cases carry (phone
 * numbers in the spellings callers use, emails), generated so the log check can look for
 * each one.
 */
import { gzipSync } from 'node:zlib';
import type { Rng } from '../rng';
import type { Category, HttpRequestSpec, RawRequestSpec } from '../case';

export const json = (value: unknown) => Buffer.from(JSON.stringify(value));

export interface BodyVariant {
  category: Category;
  what: string;
  body: Buffer;
  headers: Record<string, string>;
  /** The variant breaks the body before any application code may look at it. */
  framework: boolean;
  /** The bytes are the valid body, only labelled wrong: a lenient endpoint may accept them. */
  mayBeAccepted?: boolean;
  /** The bytes are exactly the valid body (whatever the label says). */
  intact?: boolean;
}

/** A valid JSON text broken in one of the ways clients and attackers break it. */
export function malformedJson(rng: Rng, valid: string): BodyVariant {
  const cut = Math.max(1, rng.int(1, Math.max(1, valid.length - 1)));
  const variants: Array<[string, () => string | Buffer]> = [
    ['JSON cut short', () => valid.slice(0, cut)],
    ['trailing comma', () => valid.replace(/}$/, ',}')],
    ['single-quoted strings', () => valid.replace(/"/g, "'")],
    ['unquoted keys', () => valid.replace(/"([A-Za-z_]+)":/g, '$1:')],
    ['NaN and Infinity', () => valid.replace(/}$/, ',"n":NaN,"i":-Infinity}')],
    ['comments', () => `/* hostile */ ${valid}`],
    ['invalid UTF-8 before the document', () => Buffer.concat([Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(valid)])],
    ['NUL byte', () => `${valid.slice(0, cut)}\u0000${valid.slice(cut)}`],
    ['two documents', () => `${valid}${valid}`],
    ['top-level string', () => JSON.stringify(valid)],
    ['top-level number', () => '12345678901234567890'],
    ['top-level null', () => 'null'],
    ['lone brace', () => '{'],
    ['unterminated string', () => '{"a":"'],
    ['raw control characters', () => valid.replace(/"([^"]*)"/, '"\t\n\r$1"')],
    ['XML', () => '<?xml version="1.0"?><a>1</a>'],
  ];
  const [what, make] = rng.pick(variants);
  const raw = make();
  // Top-level scalars other than null pass JSON.parse; the framework's strict parser refuses them all.
  return {
    category: 'malformed',
    what: `malformed JSON (${what})`,
    body: Buffer.isBuffer(raw) ? raw : Buffer.from(raw),
    headers: { 'content-type': 'application/json' },
    framework: true,
  };
}

/** Bodies that parse but are absurd: deep nesting, huge key counts, prototype keys, non-objects. */
export function absurdJson(rng: Rng, marker: string): BodyVariant {
  const depth = rng.pick([200, 2_000, 20_000, 120_000]);
  const variants: Array<[string, () => string]> = [
    [`arrays nested ${depth} deep`, () => `${'['.repeat(depth)}"${marker}"${']'.repeat(depth)}`],
    [`objects nested ${depth} deep`, () => `${'{"a":'.repeat(depth)}"${marker}"${'}'.repeat(depth)}`],
    ['20 000 keys', () => JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, marker])))],
    ['prototype keys', () => `{"__proto__":{"polluted":"${marker}"},"constructor":{"prototype":{"polluted":"${marker}"}}}`],
    ['duplicate keys', () => `{"a":"${marker}","a":{"b":1},"a":[]}`],
    ['top-level array', () => JSON.stringify([{ marker }, 1, null])],
    ['empty object', () => '{}'],
    ['empty array', () => '[]'],
    ['huge numbers', () => `{"n":1e400,"m":-1e400,"z":-0,"x":"${marker}"}`],
  ];
  const [what, make] = rng.pick(variants);
  return {
    category: 'wrong-type',
    what: `JSON body with ${what}`,
    body: Buffer.from(make()),
    headers: { 'content-type': 'application/json' },
    framework: false,
  };
}

/** A body sent with a media type or encoding that does not match it. */
export function wrongMediaType(rng: Rng, valid: string): BodyVariant {
  const lenient = new Set([
    'JSON as text/plain',
    'JSON as XML',
    'JSON without a content type',
    'multipart without boundary',
    'content type with garbage parameters',
  ]);
  const variants: Array<[string, Record<string, string>, Buffer, boolean]> = [
    ['JSON as text/plain', { 'content-type': 'text/plain' }, Buffer.from(valid), false],
    ['JSON as form', { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from(valid), false],
    ['JSON as XML', { 'content-type': 'application/xml' }, Buffer.from(valid), false],
    ['JSON without a content type', {}, Buffer.from(valid), false],
    ['multipart without boundary', { 'content-type': 'multipart/form-data' }, Buffer.from(valid), false],
    ['unsupported charset', { 'content-type': `application/json; charset=${rng.pick(['bogus', 'x-hostile', 'ebcdic-xx'])}` }, Buffer.from(valid), true],
    ['UTF-16 charset', { 'content-type': 'application/json; charset=utf-16' }, Buffer.from(valid), true],
    [
      'unknown content-encoding',
      { 'content-type': 'application/json', 'content-encoding': rng.pick(['br2', 'compress', 'x-hostile']) },
      Buffer.from(valid),
      true,
    ],
    ['gzip header on plain bytes', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, Buffer.from(valid), true],
    ['deflate header on plain bytes', { 'content-type': 'application/json', 'content-encoding': 'deflate' }, Buffer.from(valid), true],
    ['gzip cut short', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(Buffer.from(valid)).subarray(0, 12), true],
    ['content type with garbage parameters', { 'content-type': 'application/json; ;;=; boundary' }, Buffer.from(valid), true],
    ['CloudEvents JSON type, broken', { 'content-type': 'application/cloudevents+json' }, Buffer.from(valid.slice(0, -1)), true],
    [
      'form with nested brackets',
      { 'content-type': 'application/x-www-form-urlencoded' },
      Buffer.from('a[b][c][d][e][f][g][h][i][j][k]=1&b[]=1&b[]=2&c[__proto__][x]=1'),
      false,
    ],
    [
      'form with 2 000 parameters',
      { 'content-type': 'application/x-www-form-urlencoded' },
      Buffer.from(Array.from({ length: 2_000 }, (_, i) => `p${i}=1`).join('&')),
      true,
    ],
  ];
  const [what, headers, body, framework] = rng.pick(variants);
  return { category: 'malformed', what, body, headers, framework, mayBeAccepted: lenient.has(what), intact: body.equals(Buffer.from(valid)) };
}

/** Wrong-typed replacements for one field of a JSON object. */
export function wrongTypeValue(rng: Rng, marker: string): { what: string; value: unknown } {
  const variants: Array<[string, unknown]> = [
    ['a number', rng.int(-1e9, 1e9)],
    ['a float', 2.5],
    ['a boolean', rng.bool()],
    ['null', null],
    ['an array', [marker, 1]],
    ['an object', { marker }],
    ['an empty string', ''],
    ['whitespace', ' \t\n '],
    ['the text "undefined"', 'undefined'],
    ['the text "null"', 'null'],
    ['a 100 000-character string', `${marker}${'x'.repeat(100_000)}`],
    ['control characters', `${marker}\u0000\u0007\u001b[31m`],
    ['right-to-left and emoji', `${marker}\u202e\u{1f4a5}\u0301`],
    ['a number beyond 2^53', 2 ** 53 + 2],
    ['a negative number', -1],
  ];
  const [what, value] = rng.pick(variants);
  return { what, value };
}

/** A body over `limit` bytes, as JSON with one long string (so only its size is wrong). */
export function oversizedJson(rng: Rng, marker: string, limit: number): BodyVariant {
  const size = rng.pick([limit + 1, limit + rng.int(2, 4096), limit * 2, Math.max(limit * 4, 1 << 20)]);
  // {"m":"<marker>","f":"<filler>"} is 15 bytes of syntax around the two strings.
  const filler = Math.max(0, size - marker.length - 15);
  return {
    category: 'oversized',
    what: `a ${size}-byte JSON body (limit ${limit})`,
    body: Buffer.from(`{"m":"${marker}","f":"${'a'.repeat(filler)}"}`),
    headers: { 'content-type': 'application/json' },
    framework: false,
  };
}

/** Headers a proxy would refuse: one huge value, or very many of them. */
export function oversizedHeaders(rng: Rng, marker: string): { what: string; headers: Record<string, string> } {
  if (rng.bool()) return { what: 'a 20 kB header', headers: { 'x-hostile': `${marker}${'h'.repeat(20_000)}` } };
  const headers: Record<string, string> = {};
  for (let i = 0; i < 1_000; i++) headers[`x-h${i}`] = marker;
  return { what: '1 000 headers', headers };
}

/** Ways of sending `spec` that leave the body truncated or the message broken, over a raw socket. */
export function truncatedRaw(rng: Rng, spec: HttpRequestSpec): { what: string; raw: RawRequestSpec; answers: 'none' | 'protocol' | 'application' } {
  const body = spec.body ?? Buffer.from('{}');
  const head = (extra: Record<string, string>, omit: string[] = []) => {
    const headers: Record<string, string> = { host: '127.0.0.1', ...spec.headers, ...extra };
    const lines = Object.entries(headers)
      .filter(([k]) => !omit.includes(k.toLowerCase()))
      .map(([k, v]) => `${k}: ${v}`);
    return Buffer.from(`${spec.method} ${spec.path} HTTP/1.1\r\n${lines.join('\r\n')}\r\nconnection: close\r\n\r\n`);
  };
  const cut = rng.int(0, Math.max(0, body.length - 1));
  const base = { method: spec.method, path: spec.path };
  const variants: Array<() => { what: string; raw: RawRequestSpec; answers: 'none' | 'protocol' | 'application' }> = [
    () => ({
      what: `Content-Length ${body.length + 100} but ${cut} bytes sent, then the connection is cut`,
      raw: {
        ...base,
        transport: 'raw',
        chunks: [head({ 'content-length': String(body.length + 100) }), body.subarray(0, cut)],
        ending: 'cut',
        pauseMs: rng.int(10, 120),
      },
      answers: 'none',
    }),
    () => ({
      what: `Content-Length ${body.length + 100} but ${cut} bytes sent, then the client half-closes`,
      raw: { ...base, transport: 'raw', chunks: [head({ 'content-length': String(body.length + 100) }), body.subarray(0, cut)], ending: 'half-close' },
      answers: 'none',
    }),
    () => ({
      what: 'chunked body without its last chunk, then the connection is cut',
      raw: {
        ...base,
        transport: 'raw',
        chunks: [
          head({ 'transfer-encoding': 'chunked' }, ['content-length']),
          Buffer.from(`${cut.toString(16)}\r\n`),
          body.subarray(0, cut),
          Buffer.from('\r\n'),
        ],
        ending: 'cut',
        pauseMs: rng.int(10, 120),
      },
      answers: 'none',
    }),
    () => ({
      what: 'chunk size that is not hexadecimal',
      raw: {
        ...base,
        transport: 'raw',
        chunks: [head({ 'transfer-encoding': 'chunked' }, ['content-length']), Buffer.from('zz\r\nabc\r\n0\r\n\r\n')],
        ending: 'wait',
      },
      answers: 'protocol',
    }),
    () => ({
      what: 'both Content-Length and Transfer-Encoding (request smuggling)',
      raw: {
        ...base,
        transport: 'raw',
        chunks: [
          head({ 'content-length': String(body.length), 'transfer-encoding': 'chunked' }),
          Buffer.from(`${body.length.toString(16)}\r\n`),
          body,
          Buffer.from('\r\n0\r\n\r\n'),
        ],
        ending: 'wait',
      },
      answers: 'protocol',
    }),
    () => ({
      what: `Content-Length ${cut} shorter than the ${body.length}-byte body`,
      raw: { ...base, transport: 'raw', chunks: [head({ 'content-length': String(cut) }), body], ending: 'wait' },
      answers: 'application',
    }),
    () => ({
      what: 'headers cut mid-line, then the connection is cut',
      raw: { ...base, transport: 'raw', chunks: [head({}).subarray(0, rng.int(5, 40))], ending: 'cut', pauseMs: rng.int(10, 80) },
      answers: 'none',
    }),
    () => ({
      what: 'a header line without a colon',
      raw: {
        ...base,
        transport: 'raw',
        chunks: [Buffer.from(`${spec.method} ${spec.path} HTTP/1.1\r\nhost: 127.0.0.1\r\nthis is not a header\r\n\r\n`)],
        ending: 'wait',
      },
      answers: 'protocol',
    }),
    () => ({
      what: 'a control character in a header value',
      raw: {
        ...base,
        transport: 'raw',
        chunks: [Buffer.from(`${spec.method} ${spec.path} HTTP/1.1\r\nhost: 127.0.0.1\r\nx-bad: a\u0001b\r\ncontent-length: 0\r\n\r\n`)],
        ending: 'wait',
      },
      answers: 'protocol',
    }),
    () => ({
      what: 'an unknown HTTP version',
      raw: {
        ...base,
        transport: 'raw',
        chunks: [Buffer.from(`${spec.method} ${spec.path} HTTP/9.9\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n`)],
        ending: 'wait',
      },
      answers: 'protocol',
    }),
    () => ({
      what: 'Expect: 100-continue, then nothing and a cut',
      raw: {
        ...base,
        transport: 'raw',
        chunks: [head({ 'content-length': String(body.length), expect: '100-continue' })],
        ending: 'cut',
        pauseMs: rng.int(20, 120),
      },
      answers: 'none',
    }),
    () => ({
      what: 'a body trickling in a byte at a time, then cut',
      raw: {
        ...base,
        transport: 'raw',
        chunks: [head({ 'content-length': String(body.length) }), ...Array.from(body.subarray(0, Math.min(cut, 30)), (b) => Buffer.from([b]))],
        ending: 'cut',
        pauseMs: rng.int(10, 60),
      },
      answers: 'none',
    }),
  ];
  return rng.pick(variants)();
}

/** A path with an encoding error, traversal or absurd length, for any route. */
export function hostilePathSuffix(rng: Rng, marker: string): { what: string; suffix: string } {
  const variants: Array<[string, string]> = [
    ['an invalid percent-encoding', `/${marker}%E0%A4%A`],
    ['a lone percent sign', `/${marker}%`],
    ['an encoded NUL', `/${marker}%00`],
    ['traversal', `/..%2F..%2F${marker}`],
    ['a 10 000-character segment', `/${marker}${'s'.repeat(10_000)}`],
    ['double slashes', `//${marker}//`],
    ['unicode', `/${marker}/%F0%9F%92%A5`],
  ];
  const [what, suffix] = rng.pick(variants);
  return { what, suffix };
}

// ---- personal data ---------------------------------------------------------------------

const AREAS = ['202', '212', '312', '415', '617', '646', '718', '805'];

export interface Phone {
  /** As sent. */
  text: string;
}

/**
 * A US number in a fictional 555 range, spelled one of the ways callers and CRMs spell
 * numbers. With `unique` (the case index) no other case gets the same number, so cases that
 * store by caller never meet.
 */
export function phone(rng: Rng, unique?: number): Phone {
  const area = unique === undefined ? rng.pick(AREAS) : AREAS[Math.floor(unique / 10_000) % AREAS.length]!;
  const line = String(unique === undefined ? rng.int(100, 9999) : unique % 10_000).padStart(4, '0');
  const spellings = [
    `+1${area}555${line}`,
    `(${area}) 555-${line}`,
    `${area}.555.${line}`,
    `1-${area}-555-${line}`,
    `tel:+1${area}555${line}`,
    `+1 ${area} 555 ${line}`,
    `1${area}555${line}`,
  ];
  return { text: rng.pick(spellings) };
}

export function email(rng: Rng, marker: string): string {
  const local = rng.pick([`${marker}.${rng.alnum(5)}`, `Caller.${rng.alnum(6)}+${marker}`]);
  return `${local}@${rng.pick(['example.com', 'example.org', 'mail.example.net'])}`;
}
