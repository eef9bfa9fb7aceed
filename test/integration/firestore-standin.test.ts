/**
 * The Firestore stand-in (local/firestore/) through the real @google-cloud/firestore
 * client: documents, writes, transforms, batches and transactions, including every case
 * the earlier stand-in (@firestore-emulator/server) got wrong.
 */
import { type DocumentReference, FieldPath, FieldValue, Firestore, GeoPoint, Timestamp } from '@google-cloud/firestore';
import { type DocumentWrite, type FirestoreEmulator, startFirestoreEmulator } from '../../local/firestore';

process.env['METADATA_SERVER_DETECTION'] = 'none';

const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
const ABORTED = 10;
const INVALID_ARGUMENT = 3;

let emulator: FirestoreEmulator;
let db: Firestore;
/** Reads integers as BigInt, so integer and double results can be told apart. */
let bigDb: Firestore;
let n = 0;

beforeAll(async () => {
  emulator = await startFirestoreEmulator();
  process.env['FIRESTORE_EMULATOR_HOST'] = emulator.host;
  db = new Firestore({ projectId: 'standin-test' });
  bigDb = new Firestore({ projectId: 'standin-test', useBigInt: true });
});
afterAll(async () => {
  await db.terminate();
  await bigDb.terminate();
  await emulator.stop();
});

/** A fresh collection per test. */
function col(): string {
  return `c${++n}-${Math.random().toString(36).slice(2, 8)}`;
}

async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
  } catch (error) {
    return (error as { code?: number }).code;
  }
  return undefined;
}

async function data(ref: DocumentReference): Promise<Record<string, unknown> | undefined> {
  return (await ref.get()).data();
}

describe('documents', () => {
  test('get of a missing document says it does not exist; getAll keeps request order with missing ones', async () => {
    const c = db.collection(col());
    await c.doc('b').set({ v: 'b' });
    expect((await c.doc('a').get()).exists).toBe(false);
    const snaps = await db.getAll(c.doc('b'), c.doc('a'), c.doc('b'));
    expect(snaps.map((s) => [s.id, s.exists, s.get('v')])).toEqual([
      ['b', true, 'b'],
      ['a', false, undefined],
      ['b', true, 'b'],
    ]);
  });

  test('getAll with a fieldMask returns only the named fields', async () => {
    const ref = db.collection(col()).doc('d');
    await ref.set({ a: 1, b: 2, nested: { x: 1, y: 2 } });
    const [snap] = await db.getAll(ref, { fieldMask: ['a', 'nested.y'] });
    expect(snap!.data()).toEqual({ a: 1, nested: { y: 2 } });
  });

  test('every value type round-trips', async () => {
    const ref = db.collection(col()).doc('all');
    const other = db.collection('elsewhere').doc('x');
    const value = {
      nul: null,
      t: true,
      f: false,
      int: 42,
      neg: -7,
      dbl: 1.5,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      ts: Timestamp.fromMillis(1_700_000_000_123),
      str: 'héllo 👋',
      bytes: Buffer.from([0, 1, 2, 255]),
      ref: other,
      geo: new GeoPoint(48.85, 2.35),
      arr: [1, 'two', { three: 3 }],
      map: { deep: { deeper: { deepest: 'yes' } } },
      emptyMap: {},
      emptyArr: [],
      vec: FieldValue.vector([1, 2, 3]),
    };
    await ref.set(value);
    const got = (await ref.get()).data()!;
    expect(got['nul']).toBeNull();
    expect(got['int']).toBe(42);
    expect(got['neg']).toBe(-7);
    expect(got['dbl']).toBe(1.5);
    expect(got['nan']).toBeNaN();
    expect(got['inf']).toBe(Number.POSITIVE_INFINITY);
    expect((got['ts'] as Timestamp).toMillis()).toBe(1_700_000_000_123);
    expect(got['str']).toBe('héllo 👋');
    expect(Buffer.from(got['bytes'] as Uint8Array)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect((got['ref'] as DocumentReference).path).toBe('elsewhere/x');
    expect((got['geo'] as GeoPoint).isEqual(new GeoPoint(48.85, 2.35))).toBe(true);
    expect(got['arr']).toEqual([1, 'two', { three: 3 }]);
    expect(got['map']).toEqual({ deep: { deeper: { deepest: 'yes' } } });
    expect(got['emptyMap']).toEqual({});
    expect(got['emptyArr']).toEqual([]);
    expect((got['vec'] as { toArray(): number[] }).toArray()).toEqual([1, 2, 3]);
    expect([got['t'], got['f']]).toEqual([true, false]);
  });

  test('set() without merge replaces the whole document', async () => {
    const ref = db.collection(col()).doc('d');
    await ref.set({ a: 1, b: 2, nested: { x: 1 } });
    await ref.set({ c: 3 });
    expect(await data(ref)).toEqual({ c: 3 });
  });

  test('set() with merge merges field-wise and deeply; mergeFields writes only the named fields', async () => {
    const ref = db.collection(col()).doc('d');
    await ref.set({ a: 1, nested: { x: 1, y: 1 } });
    await ref.set({ b: 2, nested: { y: 2 } }, { merge: true });
    expect(await data(ref)).toEqual({ a: 1, b: 2, nested: { x: 1, y: 2 } });
    await ref.set({ a: 10, b: 20, nested: { x: 10 } }, { mergeFields: ['b', 'nested.x'] });
    expect(await data(ref)).toEqual({ a: 1, b: 20, nested: { x: 10, y: 2 } });
  });

  test('update() with dotted keys changes nested fields only; a plain map value replaces the map', async () => {
    const ref = db.collection(col()).doc('d');
    await ref.set({ nested: { x: 1, y: 1 }, other: { keep: true, drop: true } });
    await ref.update({ 'nested.z': 3, other: { only: 1 } });
    expect(await data(ref)).toEqual({ nested: { x: 1, y: 1, z: 3 }, other: { only: 1 } });
    // A FieldPath segment may itself contain dots.
    await ref.update(new FieldPath('odd.name', 'x'), 5);
    expect((await data(ref))?.['odd.name']).toEqual({ x: 5 });
    // Writing a nested path through a non-map replaces it with a map.
    await ref.set({ scalar: 'text' }, { merge: true });
    await ref.update({ 'scalar.inner': 1 });
    expect((await data(ref))?.['scalar']).toEqual({ inner: 1 });
  });

  test('FieldValue.delete() removes fields in update() and in set(merge), nested ones too', async () => {
    const ref = db.collection(col()).doc('d');
    await ref.set({ a: 1, b: 2, nested: { x: 1, y: 2 } });
    await ref.update({ a: FieldValue.delete(), 'nested.x': FieldValue.delete() });
    expect(await data(ref)).toEqual({ b: 2, nested: { y: 2 } });
    await ref.set({ b: FieldValue.delete(), nested: { y: FieldValue.delete() } }, { merge: true });
    expect(await data(ref)).toEqual({ nested: {} });
  });

  test('create() of an existing document is ALREADY_EXISTS and leaves it intact', async () => {
    const ref = db.collection(col()).doc('d');
    await ref.create({ n: 1 });
    expect(await codeOf(ref.create({ n: 2 }))).toBe(ALREADY_EXISTS);
    expect(await data(ref)).toEqual({ n: 1 });
  });

  test('update() of a missing document is NOT_FOUND and creates nothing', async () => {
    const ref = db.collection(col()).doc('absent');
    expect(await codeOf(ref.update({ n: 1 }))).toBe(NOT_FOUND);
    expect((await ref.get()).exists).toBe(false);
  });

  test('delete(): of a missing document succeeds; with exists: true it is NOT_FOUND', async () => {
    const ref = db.collection(col()).doc('absent');
    await ref.delete();
    expect(await codeOf(ref.delete({ exists: true }))).toBe(NOT_FOUND);
    await ref.set({ a: 1 });
    await ref.delete({ exists: true });
    expect((await ref.get()).exists).toBe(false);
  });

  test('lastUpdateTime preconditions: the current time passes, a stale one is FAILED_PRECONDITION', async () => {
    const ref = db.collection(col()).doc('d');
    const first = await ref.set({ v: 1 });
    const second = await ref.update({ v: 2 }, { lastUpdateTime: first.writeTime });
    expect(await codeOf(ref.update({ v: 3 }, { lastUpdateTime: first.writeTime }))).toBe(FAILED_PRECONDITION);
    expect(await codeOf(ref.delete({ lastUpdateTime: first.writeTime }))).toBe(FAILED_PRECONDITION);
    await ref.delete({ lastUpdateTime: second.writeTime });
    expect((await ref.get()).exists).toBe(false);
  });

  test('update times strictly increase; createTime stays; a write that changes nothing keeps the update time', async () => {
    const ref = db.collection(col()).doc('d');
    const times: Timestamp[] = [];
    for (let i = 0; i < 20; i++) times.push((await ref.set({ i })).writeTime);
    for (let i = 1; i < times.length; i++) expect(times[i]!.valueOf() > times[i - 1]!.valueOf()).toBe(true);
    const snap = await ref.get();
    expect(snap.createTime!.isEqual(times[0]!)).toBe(true);
    expect(snap.updateTime!.isEqual(times[19]!)).toBe(true);
    const again = await ref.set({ i: 19 });
    expect(again.writeTime.isEqual(times[19]!)).toBe(true);
  });

  test('a document over 1 MiB is refused with INVALID_ARGUMENT', async () => {
    const ref = db.collection(col()).doc('big');
    expect(await codeOf(ref.set({ s: 'x'.repeat(1_048_600) }))).toBe(INVALID_ARGUMENT);
    await ref.set({ s: 'x'.repeat(1_000_000) });
  });

  test('ids matching __.*__ are refused', async () => {
    expect(await codeOf(db.collection(col()).doc('__reserved__').set({ a: 1 }))).toBe(INVALID_ARGUMENT);
  });
});

describe('transforms', () => {
  test('serverTimestamp: one commit time for every field and document of a batch, equal to the write time', async () => {
    const c = db.collection(col());
    const batch = db.batch();
    batch.set(c.doc('a'), { at: FieldValue.serverTimestamp(), nested: { at: FieldValue.serverTimestamp() } });
    batch.set(c.doc('b'), { at: FieldValue.serverTimestamp() });
    const [result] = await batch.commit();
    const a = (await c.doc('a').get()).data()!;
    const b = (await c.doc('b').get()).data()!;
    expect((a['at'] as Timestamp).isEqual(result!.writeTime)).toBe(true);
    expect((a['nested'] as { at: Timestamp }).at.isEqual(result!.writeTime)).toBe(true);
    expect((b['at'] as Timestamp).isEqual(result!.writeTime)).toBe(true);
  });

  test('increment: integers stay integers, a double makes a double, a missing or non-numeric field takes the operand, int64 saturates', async () => {
    const ref = bigDb.collection(col()).doc('d');
    await ref.set({ i: 1, d: 1.5, s: 'text', big: BigInt('9223372036854775806') });
    await ref.update({
      i: FieldValue.increment(2),
      d: FieldValue.increment(1),
      s: FieldValue.increment(5),
      missing: FieldValue.increment(7),
      big: FieldValue.increment(10),
    });
    const got = (await ref.get()).data()!;
    expect(got['i']).toBe(3n);
    expect(got['d']).toBe(2.5);
    expect(got['s']).toBe(5n);
    expect(got['missing']).toBe(7n);
    expect(got['big']).toBe(BigInt('9223372036854775807'));
    await ref.update({ i: FieldValue.increment(0.5) });
    expect((await ref.get()).get('i')).toBe(3.5);
  });

  test('maximum and minimum: larger/smaller operand wins with its type, equivalent operands leave the field, missing fields take the operand', async () => {
    const ref = bigDb.collection(col()).doc('d');
    await ref.set({ hi: 5, lo: 5, same: 3, mixed: 2 });
    await ref.update({
      hi: FieldValue.maximum(7.5),
      lo: FieldValue.minimum(1),
      same: FieldValue.maximum(3.0),
      mixed: FieldValue.minimum(2.5),
      fresh: FieldValue.maximum(4),
    });
    const got = (await ref.get()).data()!;
    expect(got['hi']).toBe(7.5);
    expect(got['lo']).toBe(1n);
    expect(got['same']).toBe(3n);
    expect(got['mixed']).toBe(2n);
    expect(got['fresh']).toBe(4n);
  });

  test('arrayUnion appends missing elements in order (3 and 3.0 are the same); arrayRemove removes every equivalent', async () => {
    const ref = db.collection(col()).doc('d');
    await ref.set({ tags: ['a', 3, 'b', 'a'], notArray: 'x' });
    await ref.update({ tags: FieldValue.arrayUnion('c', 3.0, 'a', { k: 1 }, 'c'), notArray: FieldValue.arrayUnion(1), fresh: FieldValue.arrayUnion('x') });
    expect(await data(ref)).toEqual({ tags: ['a', 3, 'b', 'a', 'c', { k: 1 }], notArray: [1], fresh: ['x'] });
    await ref.update({ tags: FieldValue.arrayRemove('a', 3.0, { k: 1 }), fresh: FieldValue.arrayRemove('nothing') });
    expect(await data(ref)).toEqual({ tags: ['b', 'c'], notArray: [1], fresh: ['x'] });
  });

  test('create() with only transforms creates the document from them', async () => {
    const ref = db.collection(col()).doc('d');
    await ref.create({ n: FieldValue.increment(1) });
    expect(await data(ref)).toEqual({ n: 1 });
  });
});

describe('batches', () => {
  test('a batch is atomic: one failing precondition and none of its writes happen', async () => {
    const c = db.collection(col());
    await c.doc('existing').set({ v: 'original' });
    const batch = db.batch();
    batch.set(c.doc('new1'), { v: 1 });
    batch.update(c.doc('existing'), { v: 'changed' });
    batch.create(c.doc('existing'), { v: 'dup' });
    batch.delete(c.doc('new1'));
    expect(await codeOf(batch.commit())).toBe(ALREADY_EXISTS);
    expect((await c.doc('new1').get()).exists).toBe(false);
    expect(await data(c.doc('existing'))).toEqual({ v: 'original' });
  });

  test('writes to the same document in one batch apply in order', async () => {
    const ref = db.collection(col()).doc('d');
    const batch = db.batch();
    batch.create(ref, { a: 1 });
    batch.update(ref, { b: FieldValue.increment(2) });
    batch.set(ref, { c: 3 }, { merge: true });
    await batch.commit();
    expect(await data(ref)).toEqual({ a: 1, b: 2, c: 3 });
  });
});

describe('transactions', () => {
  test('read-modify-write', async () => {
    const ref = db.collection(col()).doc('counter');
    await ref.set({ n: 1 });
    const result = await db.runTransaction(async (t) => {
      const snap = await t.get(ref);
      t.update(ref, { n: (snap.get('n') as number) + 1 });
      return 'done';
    });
    expect(result).toBe('done');
    expect(await data(ref)).toEqual({ n: 2 });
  });

  test('20 concurrent read-increment-write transactions add exactly 20 (conflicts are ABORTED and retried)', async () => {
    const ref = db.collection(col()).doc('counter');
    await ref.set({ n: 0 });
    let attempts = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.runTransaction(
          async (t) => {
            attempts++;
            const snap = await t.get(ref);
            t.set(ref, { n: (snap.get('n') as number) + 1 });
          },
          { maxAttempts: 10 },
        ),
      ),
    );
    expect(await data(ref)).toEqual({ n: 20 });
    // Without isolation every transaction would commit on its first attempt (and the count would be wrong).
    expect(attempts).toBeGreaterThan(20);
  }, 30_000);

  test('a write to a document the transaction read, made before it commits, aborts it', async () => {
    const ref = db.collection(col()).doc('d');
    await ref.set({ n: 1 });
    const code = await codeOf(
      db.runTransaction(
        async (t) => {
          const snap = await t.get(ref);
          await ref.set({ n: 100 });
          t.set(ref, { n: (snap.get('n') as number) + 1 });
        },
        { maxAttempts: 1 },
      ),
    );
    expect(code).toBe(ABORTED);
    expect(await data(ref)).toEqual({ n: 100 });
  });

  test('a document read as missing and created meanwhile aborts the transaction', async () => {
    const ref = db.collection(col()).doc('d');
    const code = await codeOf(
      db.runTransaction(
        async (t) => {
          const snap = await t.get(ref);
          if (!snap.exists) await ref.create({ by: 'outsider' });
          t.set(ref, { by: 'transaction' });
        },
        { maxAttempts: 1 },
      ),
    );
    expect(code).toBe(ABORTED);
    expect(await data(ref)).toEqual({ by: 'outsider' });
  });

  test('a query the transaction ran is re-checked at commit: a new matching document aborts it', async () => {
    const c = db.collection(col());
    await c.doc('a').set({ state: 'open' });
    const code = await codeOf(
      db.runTransaction(
        async (t) => {
          const open = await t.get(c.where('state', '==', 'open'));
          await c.doc('b').set({ state: 'open' });
          t.set(c.doc('summary'), { open: open.size });
        },
        { maxAttempts: 1 },
      ),
    );
    expect(code).toBe(ABORTED);
    expect((await c.doc('summary').get()).exists).toBe(false);
  });

  test('the retried attempt sees the concurrent write and commits', async () => {
    const ref = db.collection(col()).doc('d');
    await ref.set({ n: 1 });
    let attempt = 0;
    await db.runTransaction(async (t) => {
      attempt++;
      const snap = await t.get(ref);
      if (attempt === 1) await ref.set({ n: 10 });
      t.set(ref, { n: (snap.get('n') as number) + 1 });
    });
    expect(attempt).toBe(2);
    expect(await data(ref)).toEqual({ n: 11 });
  });

  test('writes without reads commit atomically; a failing one rolls all back', async () => {
    const c = db.collection(col());
    await c.doc('x').set({ v: 1 });
    const code = await codeOf(
      db.runTransaction(
        async (t) => {
          t.set(c.doc('y'), { v: 2 });
          t.create(c.doc('x'), { v: 3 });
        },
        { maxAttempts: 1 },
      ),
    );
    expect(code).toBe(ALREADY_EXISTS);
    expect((await c.doc('y').get()).exists).toBe(false);
  });

  test('getAll and queries inside a transaction; an error thrown by the function rolls back', async () => {
    const c = db.collection(col());
    await c.doc('a').set({ n: 1 });
    await c.doc('b').set({ n: 2 });
    const sum = await db.runTransaction(async (t) => {
      const [a, b] = await t.getAll(c.doc('a'), c.doc('b'));
      const q = await t.get(c.orderBy('n'));
      t.set(c.doc('sum'), { n: (a!.get('n') as number) + (b!.get('n') as number) });
      return q.docs.map((d) => d.id);
    });
    expect(sum).toEqual(['a', 'b']);
    expect(await data(c.doc('sum'))).toEqual({ n: 3 });
    await expect(
      db.runTransaction(async (t) => {
        await t.get(c.doc('a'));
        t.set(c.doc('never'), { v: 1 });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await c.doc('never').get()).exists).toBe(false);
  });

  test('read-only transactions read (also at a read time); counting inside one works', async () => {
    const c = db.collection(col());
    await c.doc('a').set({ n: 1 });
    const seen = await db.runTransaction(async (t) => (await t.get(c.doc('a'))).get('n') as number, { readOnly: true });
    expect(seen).toBe(1);
    const atTime = await db.runTransaction(async (t) => (await t.get(c.doc('a'))).exists, { readOnly: true, readTime: Timestamp.now() });
    expect(atTime).toBe(true);
    const count = await db.runTransaction(async (t) => (await t.get(c.count())).data().count, { readOnly: true });
    expect(count).toBe(1);
  });
});

describe('introspection', () => {
  test('onWrite reports creates, updates and deletes as they happen, with plain values; a delete carries the old fields', async () => {
    const writes: DocumentWrite[] = [];
    const stop = emulator.onWrite((w) => writes.push(w));
    const name = col();
    const ref = db.collection(name).doc('d');
    await ref.create({ at: Timestamp.fromMillis(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), raw: Buffer.from('hi'), n: 1, m: { ok: true } });
    await ref.update({ n: 2 });
    await ref.delete();
    await ref.delete(); // nothing there: no write reported
    stop();
    await db.collection(name).doc('after-stop').set({ a: 1 });
    const path = `projects/standin-test/databases/(default)/documents/${name}/d`;
    const created = { at: '2026-01-02T03:04:05.006Z', raw: Buffer.from('hi').toString('base64'), n: 1, m: { ok: true } };
    expect(writes).toEqual([
      { kind: 'create', path, fields: created },
      { kind: 'update', path, fields: { ...created, n: 2 } },
      { kind: 'delete', path, fields: { ...created, n: 2 } },
    ]);
  });

  test('reset() deletes every document', async () => {
    const own = await startFirestoreEmulator();
    // The client reads FIRESTORE_EMULATOR_HOST when it is constructed.
    const shared = process.env['FIRESTORE_EMULATOR_HOST'];
    process.env['FIRESTORE_EMULATOR_HOST'] = own.host;
    const client = new Firestore({ projectId: 'reset-test' });
    process.env['FIRESTORE_EMULATOR_HOST'] = shared;
    try {
      await client.collection('a').doc('1').set({ v: 1 });
      await client.collection('a').doc('1').collection('sub').doc('2').set({ v: 2 });
      own.reset();
      expect((await client.collection('a').doc('1').get()).exists).toBe(false);
      expect(await client.listCollections()).toEqual([]);
    } finally {
      await client.terminate();
      await own.stop();
    }
  });
});
