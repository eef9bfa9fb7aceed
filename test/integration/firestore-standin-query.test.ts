/**
 * The Firestore stand-in (local/firestore/) through the real @google-cloud/firestore
 * client: queries (every operator, composite filters, nested field paths, ordering,
 * cursors, offset/limit, projection, collection groups), aggregations, listings,
 * BulkWriter and recursiveDelete.
 */
import {
  AggregateField,
  type CollectionReference,
  FieldPath,
  Filter,
  Firestore,
  GeoPoint,
  type Query,
  type QueryDocumentSnapshot,
  Timestamp,
} from '@google-cloud/firestore';
import { type FirestoreEmulator, startFirestoreEmulator } from '../../local/firestore';

process.env['METADATA_SERVER_DETECTION'] = 'none';

let emulator: FirestoreEmulator;
let db: Firestore;
let n = 0;

beforeAll(async () => {
  emulator = await startFirestoreEmulator();
  process.env['FIRESTORE_EMULATOR_HOST'] = emulator.host;
  db = new Firestore({ projectId: 'standin-query-test' });
});
afterAll(async () => {
  await db.terminate();
  await emulator.stop();
});

function col(): CollectionReference {
  return db.collection(`q${++n}-${Math.random().toString(36).slice(2, 8)}`);
}

async function ids(q: Query): Promise<string[]> {
  return (await q.get()).docs.map((d) => d.id);
}

async function seed(c: CollectionReference, docs: Record<string, Record<string, unknown>>): Promise<void> {
  const batch = db.batch();
  for (const [id, data] of Object.entries(docs)) batch.set(c.doc(id), data);
  await batch.commit();
}

describe('filters', () => {
  let c: CollectionReference;
  beforeAll(async () => {
    c = col();
    await seed(c, {
      a: { n: 1, s: 'x', tags: ['red', 'blue'], meta: { kind: 'k1', depth: { level: 1 } } },
      b: { n: 2, s: 'y', tags: ['green'], meta: { kind: 'k2', depth: { level: 2 } } },
      c: { n: 3, s: 'z', tags: ['red'], meta: { kind: 'k1', depth: { level: 3 } } },
      d: { n: 4.5, s: null, tags: [] },
      e: { s: 'no-n' },
      f: { n: 'text' },
    });
  });

  test.each<[string, Query | (() => Query), string[]]>([
    ['<', () => c.where('n', '<', 3), ['a', 'b']],
    ['<=', () => c.where('n', '<=', 3), ['a', 'b', 'c']],
    ['>', () => c.where('n', '>', 2), ['c', 'd']],
    ['>=', () => c.where('n', '>=', 2), ['b', 'c', 'd']],
    ['== across integer and double (2 == 2.0)', () => c.where('n', '==', 2.0), ['b']],
    ['!= leaves out documents without the field', () => c.where('n', '!=', 2), ['a', 'c', 'd', 'f']],
    ['in', () => c.where('s', 'in', ['x', 'z', 'nope']), ['a', 'c']],
    ['not-in leaves out documents without the field', () => c.where('n', 'not-in', [1, 2]), ['c', 'd', 'f']],
    ['array-contains', () => c.where('tags', 'array-contains', 'red'), ['a', 'c']],
    ['array-contains-any', () => c.where('tags', 'array-contains-any', ['blue', 'green']), ['a', 'b']],
    ['== null', () => c.where('s', '==', null), ['d']],
    ['!= null', () => c.where('s', '!=', null), ['e', 'a', 'b', 'c']],
    ['nested field path', () => c.where('meta.kind', '==', 'k1'), ['a', 'c']],
    ['deeply nested field path with a range', () => c.where('meta.depth.level', '>=', 2), ['b', 'c']],
    ['FieldPath object', () => c.where(new FieldPath('meta', 'kind'), '==', 'k2'), ['b']],
    ['range filters stay within the operand type', () => c.where('n', '>', 0), ['a', 'b', 'c', 'd']],
    ['string range', () => c.where('n', '>=', ''), ['f']],
    ['OR', () => c.where(Filter.or(Filter.where('n', '==', 1), Filter.where('s', '==', 'z'))), ['a', 'c']],
    [
      'AND inside OR',
      () => c.where(Filter.or(Filter.and(Filter.where('meta.kind', '==', 'k1'), Filter.where('n', '>', 1)), Filter.where('s', '==', 'y'))),
      ['b', 'c'],
    ],
    ['two inequalities on different fields', () => c.where('n', '>', 1).where('s', '<', 'z'), ['b']],
    ['__name__ ==', () => c.where(FieldPath.documentId(), '==', 'c'), ['c']],
    ['__name__ range', () => c.where(FieldPath.documentId(), '>=', 'b').where(FieldPath.documentId(), '<', 'd'), ['b', 'c']],
    ['__name__ in', () => c.where(FieldPath.documentId(), 'in', ['a', 'e', 'zz']), ['a', 'e']],
  ])('%s', async (_name, query, expected) => {
    const q = typeof query === 'function' ? query() : query;
    expect(await ids(q)).toEqual(expected);
  });

  test('NaN: == NaN matches only NaN, != NaN everything else that has the field', async () => {
    const k = col();
    await seed(k, { nan: { v: Number.NaN }, one: { v: 1 }, str: { v: 's' }, none: {} });
    expect(await ids(k.where('v', '==', Number.NaN))).toEqual(['nan']);
    expect((await ids(k.where('v', '!=', Number.NaN))).sort()).toEqual(['one', 'str']);
  });
});

describe('ordering', () => {
  test('orderBy leaves out documents lacking the field and breaks ties by document name; desc reverses both', async () => {
    const c = col();
    await seed(c, { d1: { p: 2 }, d2: { p: 1 }, d3: { p: 2 }, d4: {}, d5: { p: 1 } });
    expect(await ids(c.orderBy('p'))).toEqual(['d2', 'd5', 'd1', 'd3']);
    expect(await ids(c.orderBy('p', 'desc'))).toEqual(['d3', 'd1', 'd5', 'd2']);
    expect(await ids(c)).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    expect(await ids(c.orderBy(FieldPath.documentId(), 'desc'))).toEqual(['d5', 'd4', 'd3', 'd2', 'd1']);
  });

  test('an inequality field is ordered by implicitly (before __name__)', async () => {
    const c = col();
    await seed(c, { a: { v: 3 }, b: { v: 1 }, c: { v: 2 } });
    expect(await ids(c.where('v', '>', 0))).toEqual(['b', 'c', 'a']);
    expect(await ids(c.where('v', '!=', 2))).toEqual(['b', 'a']);
  });

  test('values of different types order by Firestore type order', async () => {
    const c = col();
    const ref = db.doc('x/y');
    const values: Array<[string, unknown]> = [
      ['01-null', null],
      ['02-false', false],
      ['03-true', true],
      ['04-nan', Number.NaN],
      ['05-neg', -10],
      ['06-one', 1],
      ['07-one-half', 1.5],
      ['08-two', 2],
      ['09-time', Timestamp.fromMillis(0)],
      ['10-string-a', 'a'],
      ['11-string-b', 'b'],
      ['12-string-astral', '\u{1F600}'],
      ['13-bytes', Buffer.from([1])],
      ['14-ref', ref],
      ['15-geo', new GeoPoint(1, 1)],
      ['16-array', [1]],
      ['17-array-longer', [1, 2]],
      ['18-map', { a: 1 }],
    ];
    // Insert in reverse so the answer's order cannot come from insertion order.
    for (const [id, v] of [...values].reverse()) await c.doc(id).set({ v });
    // U+FFFD sorts before U+1F600 in UTF-8 (and after it in UTF-16 code units).
    await c.doc('115-string-bmp-high').set({ v: '\uFFFD' });
    const expected = values.map(([id]) => id);
    expected.splice(11, 0, '115-string-bmp-high');
    expect(await ids(c.orderBy('v'))).toEqual(expected);
  });
});

describe('cursors, offset, limit, projection', () => {
  let c: CollectionReference;
  beforeAll(async () => {
    c = col();
    await seed(c, Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`d${i}`, { rank: i % 5, i }])));
  });

  test('startAt / startAfter / endAt / endBefore with field values', async () => {
    const q = c.orderBy('rank').orderBy('i');
    expect(await ids(q.startAt(3))).toEqual(['d3', 'd8', 'd4', 'd9']);
    expect(await ids(q.startAfter(3))).toEqual(['d4', 'd9']);
    expect(await ids(q.endAt(1))).toEqual(['d0', 'd5', 'd1', 'd6']);
    expect(await ids(q.endBefore(1))).toEqual(['d0', 'd5']);
    expect(await ids(q.startAfter(1, 1).endBefore(3, 8))).toEqual(['d6', 'd2', 'd7', 'd3']);
  });

  test('cursors from document snapshots page through a query in order', async () => {
    const q = c.orderBy('rank', 'desc');
    const seen: string[] = [];
    let page = await q.limit(3).get();
    while (!page.empty) {
      seen.push(...page.docs.map((d) => d.id));
      page = await q
        .startAfter(page.docs[page.docs.length - 1]!)
        .limit(3)
        .get();
    }
    // Ties break by name in the direction of the last order: descending here.
    expect(seen).toEqual(['d9', 'd4', 'd8', 'd3', 'd7', 'd2', 'd6', 'd1', 'd5', 'd0']);
  });

  test('startAfter a snapshot without explicit order pages by name', async () => {
    const first = await c.limit(4).get();
    expect(await ids(c.startAfter(first.docs[3]!).limit(2))).toEqual(['d4', 'd5']);
  });

  test('offset and limit; limitToLast', async () => {
    const q = c.orderBy('i');
    expect(await ids(q.offset(2).limit(3))).toEqual(['d2', 'd3', 'd4']);
    expect(await ids(q.offset(20))).toEqual([]);
    expect(await ids(q.limit(0))).toEqual([]);
    expect(await ids(q.limitToLast(2))).toEqual(['d8', 'd9']);
  });

  test('select() returns only the chosen fields; select() with nothing returns names only', async () => {
    const k = col();
    await seed(k, { a: { x: 1, y: 2, m: { p: 1, q: 2 } } });
    const [doc] = (await k.select('x', 'm.q').get()).docs;
    expect(doc!.data()).toEqual({ x: 1, m: { q: 2 } });
    const [bare] = (await k.select().get()).docs;
    expect(bare!.id).toBe('a');
    expect(bare!.data()).toEqual({});
  });

  test('stream() delivers the same documents', async () => {
    const seen: string[] = [];
    for await (const d of c.orderBy('i').limit(3).stream()) seen.push((d as unknown as QueryDocumentSnapshot).id);
    expect(seen).toEqual(['d0', 'd1', 'd2']);
  });
});

describe('collection groups', () => {
  test('collectionGroup finds same-named collections at every depth, and only those', async () => {
    const group = `g${Math.random().toString(36).slice(2, 8)}`;
    await db.collection(group).doc('top').set({ v: 1 });
    await db.doc(`a/1/${group}/mid`).set({ v: 2 });
    await db.doc(`a/1/b/2/${group}/deep`).set({ v: 3 });
    await db.doc(`a/1/${group}x/other`).set({ v: 4 });
    const all = await db.collectionGroup(group).orderBy('v').get();
    expect(all.docs.map((d) => d.ref.path)).toEqual([`${group}/top`, `a/1/${group}/mid`, `a/1/b/2/${group}/deep`]);
    expect((await db.collectionGroup(group).where('v', '>=', 2).get()).docs.map((d) => d.id)).toEqual(['mid', 'deep']);
    const page = await db.collectionGroup(group).orderBy('v').limit(1).get();
    const rest = await db.collectionGroup(group).orderBy('v').startAfter(page.docs[0]!).get();
    expect(rest.docs.map((d) => d.id)).toEqual(['mid', 'deep']);
    expect((await db.collectionGroup(group).count().get()).data().count).toBe(3);
  });

  test('collectionGroup partitions cover the whole group', async () => {
    const group = `p${Math.random().toString(36).slice(2, 8)}`;
    for (let i = 0; i < 5; i++) await db.doc(`x/${i}/${group}/d${i}`).set({ i });
    let total = 0;
    for await (const partition of db.collectionGroup(group).getPartitions(3)) total += (await partition.toQuery().get()).size;
    expect(total).toBe(5);
  });
});

describe('aggregations', () => {
  test('count, sum and avg, with filters and limits; sums of integers stay integers', async () => {
    const c = col();
    await seed(c, { a: { v: 1, k: 'x' }, b: { v: 2, k: 'x' }, c: { v: 4.5, k: 'y' }, d: { v: 'text', k: 'x' }, e: { k: 'x' } });
    const all = await c.aggregate({ count: AggregateField.count(), sum: AggregateField.sum('v'), avg: AggregateField.average('v') }).get();
    expect(all.data()).toEqual({ count: 5, sum: 7.5, avg: 2.5 });
    const xs = await c
      .where('k', '==', 'x')
      .aggregate({ count: AggregateField.count(), sum: AggregateField.sum('v'), avg: AggregateField.average('v') })
      .get();
    expect(xs.data()).toEqual({ count: 4, sum: 3, avg: 1.5 });
    expect((await c.limit(2).count().get()).data().count).toBe(2);
    const none = await c
      .where('k', '==', 'nothing')
      .aggregate({ sum: AggregateField.sum('v'), avg: AggregateField.average('v'), count: AggregateField.count() })
      .get();
    expect(none.data()).toEqual({ sum: 0, avg: null, count: 0 });
  });

  test('a sum of integers is an integer on the wire', async () => {
    const c = col();
    await seed(c, { a: { v: 2 }, b: { v: 3 } });
    const bigDb = new Firestore({ projectId: 'standin-query-test', useBigInt: true });
    try {
      const snap = await bigDb
        .collection(c.id)
        .aggregate({ s: AggregateField.sum('v') })
        .get();
      expect(snap.data().s).toBe(5n as unknown as number);
    } finally {
      await bigDb.terminate();
    }
  });
});

describe('listings', () => {
  test('listDocuments includes documents that do not exist but have subcollections', async () => {
    const c = col();
    await c.doc('real').set({ v: 1 });
    await c.doc('ghost').collection('sub').doc('child').set({ v: 2 });
    await c.doc('deep-ghost').collection('s1').doc('x').collection('s2').doc('y').set({ v: 3 });
    const refs = await c.listDocuments();
    expect(refs.map((r) => r.id)).toEqual(['deep-ghost', 'ghost', 'real']);
    await c.doc('ghost').collection('sub').doc('child').delete();
    expect((await c.listDocuments()).map((r) => r.id)).toEqual(['deep-ghost', 'real']);
  });

  test('listDocuments pages through a large collection', async () => {
    const c = col();
    const writer = db.bulkWriter();
    for (let i = 0; i < 700; i++) void writer.set(c.doc(`d${String(i).padStart(4, '0')}`), { i });
    await writer.close();
    const refs = await c.listDocuments();
    expect(refs).toHaveLength(700);
    expect(refs[0]!.id).toBe('d0000');
    expect(refs[699]!.id).toBe('d0699');
  });

  test('listCollections at the root and under a document', async () => {
    const root = `r${Math.random().toString(36).slice(2, 8)}`;
    await db.doc(`${root}/doc/zeta/1`).set({});
    await db.doc(`${root}/doc/alpha/1`).set({});
    await db.doc(`${root}/doc/alpha/1/deeper/2`).set({});
    const under = await db.doc(`${root}/doc`).listCollections();
    expect(under.map((r) => r.id)).toEqual(['alpha', 'zeta']);
    const top = await db.listCollections();
    expect(top.map((r) => r.id)).toContain(root);
  });
});

describe('bulk operations', () => {
  test('BulkWriter applies writes independently and reports each failure', async () => {
    const c = col();
    await c.doc('exists').set({ v: 0 });
    const writer = db.bulkWriter();
    writer.onWriteError(() => false); // no retries: report at once
    const pending = Promise.allSettled([
      writer.create(c.doc('new'), { v: 1 }),
      writer.create(c.doc('exists'), { v: 2 }),
      writer.update(c.doc('missing'), { v: 3 }),
      writer.set(c.doc('set'), { v: 4 }),
      writer.delete(c.doc('exists')),
    ]);
    await writer.close();
    const results = await pending;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as { code: number }).code : 0))).toEqual([0, 6, 5, 0, 0]);
    expect((await c.get()).docs.map((d) => d.id)).toEqual(['new', 'set']);
  });

  test('recursiveDelete removes a document with its subcollections, and a collection with everything under it', async () => {
    const c = col();
    await c.doc('keep').set({ v: 1 });
    await c.doc('victim').set({ v: 2 });
    await c.doc('victim').collection('sub').doc('s1').set({ v: 3 });
    await c.doc('victim').collection('sub').doc('s1').collection('subsub').doc('ss1').set({ v: 4 });
    await c.doc('ghost').collection('sub').doc('s2').set({ v: 5 });
    const sibling = db.collection(`${c.id}-sibling`);
    await sibling.doc('x').set({ v: 6 });

    await db.recursiveDelete(c.doc('victim'));
    expect((await c.doc('victim').get()).exists).toBe(false);
    expect((await c.doc('victim').collection('sub').get()).size).toBe(0);
    expect(
      (
        await db
          .collectionGroup('subsub')
          .where(FieldPath.documentId(), '==', c.doc('victim').collection('sub').doc('s1').collection('subsub').doc('ss1'))
          .get()
      ).size,
    ).toBe(0);
    expect((await c.get()).docs.map((d) => d.id)).toEqual(['keep']);

    await db.recursiveDelete(c);
    expect(await c.listDocuments()).toEqual([]);
    expect((await sibling.get()).size).toBe(1);
  });
});
