/**
 * The Firestore stand-in at the gRPC level (a raw client on the same protos), for what the
 * real client never sends or never shows: status codes and messages of bad requests,
 * transform results, legacy transform writes, BatchWrite statuses, paging, transaction ids
 * and the methods answered UNIMPLEMENTED.
 */
import { type ClientReadableStream, credentials, makeGenericClientConstructor, type ServiceClientConstructor, type ServiceError, status } from '@grpc/grpc-js';
import { loadFirestoreService } from '../../local/firestore/proto';
import { type FirestoreEmulator, startFirestoreServer } from '../../local/firestore/server';

const DB = 'projects/wire/databases/(default)';
const ROOT = `${DB}/documents`;

type Callback = (error: ServiceError | null, response: unknown) => void;
type UnaryMethod = (request: unknown, callback: Callback) => void;
type StreamMethod = (request: unknown) => ClientReadableStream<unknown>;

let emulator: FirestoreEmulator;
let client: InstanceType<ServiceClientConstructor>;
let n = 0;

beforeAll(async () => {
  emulator = await startFirestoreServer();
  const Client = makeGenericClientConstructor(loadFirestoreService(), 'Firestore');
  client = new Client(emulator.host, credentials.createInsecure());
});
afterAll(async () => {
  client.close();
  await emulator.stop();
});

function unary<T = Record<string, unknown>>(method: string, request: unknown): Promise<T> {
  const call = client[method] as UnaryMethod;
  return new Promise((resolve, reject) => call.call(client, request, (error, response) => (error ? reject(error) : resolve(response as T))));
}

function stream<T = Record<string, unknown>>(method: string, request: unknown): Promise<T[]> {
  const call = client[method] as StreamMethod;
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    const s = call.call(client, request);
    s.on('data', (d: T) => out.push(d));
    s.on('error', reject);
    s.on('end', () => resolve(out));
  });
}

async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (error) {
    const e = error as ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error('expected the call to fail');
}

function col(): string {
  return `w${++n}`;
}

const str = (s: string) => ({ stringValue: s });
const int = (i: number) => ({ integerValue: String(i) });
const dbl = (d: number) => ({ doubleValue: d });

function setWrite(name: string, fields: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { update: { name: `${ROOT}/${name}`, fields }, ...extra };
}

describe('writes on the wire', () => {
  test('transform results come back in the write result, in transform order', async () => {
    const c = col();
    await unary('Commit', { database: DB, writes: [setWrite(`${c}/d`, { n: int(5), m: dbl(1) })] });
    const response = await unary<{ writeResults: Array<{ transformResults: unknown[] }> }>('Commit', {
      database: DB,
      writes: [
        {
          ...setWrite(`${c}/d`, {}),
          updateMask: { fieldPaths: [] },
          updateTransforms: [
            { fieldPath: 'n', increment: int(2) },
            { fieldPath: 'm', maximum: int(3) },
            { fieldPath: 'm', minimum: dbl(2.5) },
            { fieldPath: 'at', setToServerValue: 'REQUEST_TIME' },
            { fieldPath: 'arr', appendMissingElements: { values: [str('a')] } },
          ],
        },
      ],
    });
    const results = response.writeResults[0]!.transformResults;
    expect(results.slice(0, 3)).toEqual([
      expect.objectContaining({ integerValue: '7' }),
      expect.objectContaining({ integerValue: '3' }),
      expect.objectContaining({ doubleValue: 2.5 }),
    ]);
    expect(results[3]).toEqual(expect.objectContaining({ timestampValue: expect.anything() }));
    expect(results[4]).toEqual(expect.objectContaining({ nullValue: 'NULL_VALUE' }));
  });

  test('a legacy transform write applies its field transforms', async () => {
    const c = col();
    await unary('Commit', { database: DB, writes: [{ transform: { document: `${ROOT}/${c}/d`, fieldTransforms: [{ fieldPath: 'n', increment: int(4) }] } }] });
    const doc = await unary<{ fields: Record<string, unknown> }>('GetDocument', { name: `${ROOT}/${c}/d` });
    expect(doc.fields['n']).toEqual(expect.objectContaining({ integerValue: '4' }));
  });

  test.each<[string, unknown, RegExp]>([
    ['a write with no operation', {}, /none of update, delete, transform/],
    ['a collection path as document', setWrite('onlycollection', {}), /not a document path/],
    ['a document of another database', { update: { name: 'projects/other/databases/(default)/documents/c/d', fields: {} } }, /not in the request's database/],
    ['nested arrays', setWrite('c/d', { a: { arrayValue: { values: [{ arrayValue: { values: [] } }] } } }), /nested arrays/],
    ['an unset value', setWrite('c/d', { a: {} }), /is not set/],
    [
      'an increment of a string',
      { ...setWrite('c/d', {}), updateMask: { fieldPaths: [] }, updateTransforms: [{ fieldPath: 'a', increment: str('x') }] },
      /integer or double/,
    ],
    ['an empty field path segment', { ...setWrite('c/d', {}), updateMask: { fieldPaths: ['a..b'] } }, /empty segment/],
    ['a timestamp out of range', setWrite('c/d', { t: { timestampValue: { seconds: '-99999999999', nanos: 0 } } }), /outside 0001-01-01/],
  ])('Commit refuses %s with INVALID_ARGUMENT', async (_name, write, message) => {
    const { code, details } = await failure(unary('Commit', { database: DB, writes: [write] }));
    expect(code).toBe(status.INVALID_ARGUMENT);
    expect(details).toMatch(message);
  });

  test('BatchWrite answers a status per write and refuses two writes to one document', async () => {
    const c = col();
    await unary('Commit', { database: DB, writes: [setWrite(`${c}/exists`, { v: int(1) })] });
    const response = await unary<{ status: Array<{ code: number }>; writeResults: Array<{ updateTime: unknown }> }>('BatchWrite', {
      database: DB,
      writes: [
        setWrite(`${c}/new`, { v: int(1) }),
        setWrite(`${c}/exists`, { v: int(2) }, { currentDocument: { exists: false } }),
        setWrite(`${c}/missing`, { v: int(3) }, { currentDocument: { exists: true } }),
      ],
    });
    expect(response.status.map((s) => s.code)).toEqual([status.OK, status.ALREADY_EXISTS, status.NOT_FOUND]);
    expect(response.writeResults[0]!.updateTime).not.toBeNull();
    expect(response.writeResults[1]!.updateTime).toBeNull();
    const dup = await failure(unary('BatchWrite', { database: DB, writes: [setWrite(`${c}/x`, {}), { delete: `${ROOT}/${c}/x` }] }));
    expect(dup.code).toBe(status.INVALID_ARGUMENT);
  });

  test('UpdateDocument, CreateDocument and DeleteDocument work on their own', async () => {
    const c = col();
    const created = await unary<{ name: string }>('CreateDocument', { parent: ROOT, collectionId: c, documentId: '', document: { fields: { a: int(1) } } });
    expect(created.name).toMatch(new RegExp(`^${ROOT.replace(/[()]/g, '\\$&')}/${c}/[A-Za-z0-9]{20}$`));
    const updated = await unary<{ fields: Record<string, unknown> }>('UpdateDocument', {
      document: { name: created.name, fields: { b: int(2) } },
      updateMask: { fieldPaths: ['b'] },
    });
    expect(Object.keys(updated.fields).sort()).toEqual(['a', 'b']);
    await unary('DeleteDocument', { name: created.name, currentDocument: { exists: true } });
    expect((await failure(unary('GetDocument', { name: created.name }))).code).toBe(status.NOT_FOUND);
    expect((await failure(unary('DeleteDocument', { name: created.name, currentDocument: { exists: true } }))).code).toBe(status.NOT_FOUND);
  });
});

describe('transactions on the wire', () => {
  test('a read that begins a transaction answers its id first, even with nothing found', async () => {
    const responses = await stream<{ transaction: Buffer }>('RunQuery', {
      parent: ROOT,
      structuredQuery: { from: [{ collectionId: col() }] },
      newTransaction: { readWrite: {} },
    });
    expect(responses).toHaveLength(1);
    expect(responses[0]!.transaction.length).toBeGreaterThan(0);
    await unary('Rollback', { database: DB, transaction: responses[0]!.transaction });
  });

  test('unknown transactions, rolled-back ones and writes in read-only ones are INVALID_ARGUMENT', async () => {
    const unknown = await failure(unary('Commit', { database: DB, transaction: Buffer.from('nope'), writes: [] }));
    expect(unknown).toEqual({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/transaction has expired/) });
    const { transaction } = await unary<{ transaction: Buffer }>('BeginTransaction', { database: DB, options: { readOnly: {} } });
    const refused = await failure(unary('Commit', { database: DB, transaction, writes: [setWrite(`${col()}/d`, {})] }));
    expect(refused).toEqual({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/read-only transaction/) });
    const rw = await unary<{ transaction: Buffer }>('BeginTransaction', { database: DB });
    await unary('Rollback', { database: DB, transaction: rw.transaction });
    expect((await failure(unary('Commit', { database: DB, transaction: rw.transaction, writes: [] }))).code).toBe(status.INVALID_ARGUMENT);
  });

  test('a transaction in one database cannot be used in another', async () => {
    const { transaction } = await unary<{ transaction: Buffer }>('BeginTransaction', { database: DB });
    const other = await failure(unary('Commit', { database: 'projects/other/databases/(default)', transaction, writes: [] }));
    expect(other.code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('queries on the wire', () => {
  const query = (structuredQuery: Record<string, unknown>) =>
    stream('RunQuery', { parent: ROOT, structuredQuery: { from: [{ collectionId: 'any' }], ...structuredQuery } });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['a cursor longer than the ordering', { startAt: { values: [int(1), int(2), int(3)] }, orderBy: [{ field: { fieldPath: 'a' } }] }, /cursor has 3 values/],
    ['an empty IN list', { where: { fieldFilter: { field: { fieldPath: 'a' }, op: 'IN', value: { arrayValue: { values: [] } } } } }, /non-empty array/],
    [
      'NOT_IN with 11 values',
      { where: { fieldFilter: { field: { fieldPath: 'a' }, op: 'NOT_IN', value: { arrayValue: { values: Array.from({ length: 11 }, (_, i) => int(i)) } } } } },
      /at most 10/,
    ],
    [
      'NOT_IN with OR',
      {
        where: {
          compositeFilter: {
            op: 'OR',
            filters: [
              { fieldFilter: { field: { fieldPath: 'a' }, op: 'NOT_IN', value: { arrayValue: { values: [int(1)] } } } },
              { fieldFilter: { field: { fieldPath: 'b' }, op: 'EQUAL', value: int(1) } },
            ],
          },
        },
      },
      /not-in filter cannot be combined/,
    ],
    ['a __name__ filter on a string', { where: { fieldFilter: { field: { fieldPath: '__name__' }, op: 'EQUAL', value: str('x') } } }, /document reference/],
    ['a duplicate order', { orderBy: [{ field: { fieldPath: 'a' } }, { field: { fieldPath: 'a' } }] }, /more than once/],
    ['a negative offset', { offset: -1 }, /Offset must be/],
    ['two collections', { from: [{ collectionId: 'a' }, { collectionId: 'b' }] }, /exactly one collection/],
  ])('RunQuery refuses %s with INVALID_ARGUMENT', async (_name, q, message) => {
    const { code, details } = await failure(query(q));
    expect(code).toBe(status.INVALID_ARGUMENT);
    expect(details).toMatch(message);
  });

  test('offset is reported as skipped results', async () => {
    const c = col();
    await unary('Commit', { database: DB, writes: [1, 2, 3].map((i) => setWrite(`${c}/d${i}`, { i: int(i) })) });
    const responses = await stream<{ skippedResults: number; document: { name: string } | null }>('RunQuery', {
      parent: ROOT,
      structuredQuery: { from: [{ collectionId: c }], offset: 2 },
    });
    expect(responses.map((r) => r.document?.name.split('/').pop())).toEqual(['d3']);
    expect(responses[0]!.skippedResults).toBe(2);
  });

  test('count up_to caps the count', async () => {
    const c = col();
    await unary('Commit', { database: DB, writes: [1, 2, 3, 4].map((i) => setWrite(`${c}/d${i}`, {})) });
    const [response] = await stream<{ result: { aggregateFields: Record<string, { integerValue: string }> } }>('RunAggregationQuery', {
      parent: ROOT,
      structuredAggregationQuery: { structuredQuery: { from: [{ collectionId: c }] }, aggregations: [{ alias: 'n', count: { upTo: { value: '3' } } }] },
    });
    expect(response!.result.aggregateFields['n']!.integerValue).toBe('3');
  });

  test('ListDocuments and ListCollectionIds page with tokens', async () => {
    const c = col();
    await unary('Commit', { database: DB, writes: [1, 2, 3, 4, 5].map((i) => setWrite(`${c}/d${i}/sub${i}/x`, {})) });
    const names: string[] = [];
    let pageToken = '';
    do {
      const page = await unary<{ documents: Array<{ name: string }>; nextPageToken: string }>('ListDocuments', {
        parent: ROOT,
        collectionId: c,
        pageSize: 2,
        pageToken,
        showMissing: true,
      });
      names.push(...page.documents.map((d) => d.name.split('/').pop()!));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(names).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    const withoutMissing = await unary<{ documents: unknown[] }>('ListDocuments', { parent: ROOT, collectionId: c });
    expect(withoutMissing.documents).toEqual([]);
    const first = await unary<{ collectionIds: string[]; nextPageToken: string }>('ListCollectionIds', { parent: `${ROOT}/${c}/d1`, pageSize: 1 });
    expect(first).toEqual({ collectionIds: ['sub1'], nextPageToken: '' });
  });
});

test.each(['Listen', 'Write'])('%s answers UNIMPLEMENTED', async (method) => {
  const call = (client[method] as () => { on(event: string, cb: (e: ServiceError) => void): void; end(): void })();
  const error = await new Promise<ServiceError>((resolve) => {
    call.on('error', resolve);
    call.on('data', () => {});
  });
  call.end();
  expect(error.code).toBe(status.UNIMPLEMENTED);
  expect(error.details).toMatch(/not implemented by the Firestore stand-in/);
});
