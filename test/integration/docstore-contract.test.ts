/**
 * The same behaviour checks against the Firestore adapter (real @google-cloud/firestore
 * client, local Firestore stand-in) and the in-memory adapter, so unit tests that use
 * the fake can trust it.
 */
import { createFirestoreDocStore } from '../../shared/adapters/firestore';
import { createMemoryDocStore } from '../support/doubles/memory-docstore';
import { createFirestore } from '../../shared/google';
import { DocAlreadyExistsError, DocNotFoundError, type DocStore, DocVersionMismatchError, fieldOps } from '../../shared/ports/docstore';
import { type FirestoreEmulator, startFirestoreEmulator } from '../../local/firestore';

let emulator: FirestoreEmulator;
let firestore: ReturnType<typeof createFirestore>;

beforeAll(async () => {
  emulator = await startFirestoreEmulator();
  process.env['FIRESTORE_EMULATOR_HOST'] = emulator.host;
  firestore = createFirestore('docstore-test', '(default)');
});
afterAll(async () => {
  await firestore.terminate();
  await emulator.stop();
});

const stores: Array<[string, () => DocStore]> = [
  ['firestore', () => createFirestoreDocStore(firestore)],
  ['memory', () => createMemoryDocStore()],
];

describe.each(stores)('DocStore on %s', (_name, make) => {
  let store: DocStore;
  let col: string;
  beforeEach(() => {
    store = make();
    col = `c${Math.random().toString(36).slice(2)}`;
  });

  test('a second create() of the same document is refused and leaves the first intact', async () => {
    await store.create(col, 'evt-1', { n: 1 });
    await expect(store.create(col, 'evt-1', { n: 2 })).rejects.toBeInstanceOf(DocAlreadyExistsError);
    expect(await store.get(col, 'evt-1')).toEqual({ n: 1 });
  });

  test('an update conditioned on the version read applies once: a writer holding an older version is refused', async () => {
    await store.set(col, 'claim', { owner: null });
    const read = await store.getVersioned(col, 'claim');
    expect(read?.data).toEqual({ owner: null });
    await store.update(col, 'claim', { owner: 'worker-a' }, { ifVersion: read!.version });
    await expect(store.update(col, 'claim', { owner: 'worker-b' }, { ifVersion: read!.version })).rejects.toBeInstanceOf(DocVersionMismatchError);
    expect(await store.get(col, 'claim')).toEqual({ owner: 'worker-a' });
    const after = await store.getVersioned(col, 'claim');
    expect(after?.version).not.toBe(read!.version);
    await store.update(col, 'claim', { owner: 'worker-b' }, { ifVersion: after!.version });
    expect(await store.get(col, 'claim')).toEqual({ owner: 'worker-b' });
    expect(await store.getVersioned(col, 'absent')).toBeUndefined();
  });

  test('of two writers racing with the same version exactly one wins', async () => {
    await store.set(col, 'race', { owner: null });
    const { version } = (await store.getVersioned(col, 'race'))!;
    const results = await Promise.allSettled(['a', 'b', 'c'].map((w) => store.update(col, 'race', { owner: w }, { ifVersion: version })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DocVersionMismatchError);
  });

  test('update() of a missing document is refused', async () => {
    await expect(store.update(col, 'absent', { n: 1 })).rejects.toBeInstanceOf(DocNotFoundError);
  });

  test('merges are field-wise, dotted keys address nested fields, and ops apply', async () => {
    await store.set(col, 'd', { a: 1, nested: { x: 1, y: 1 }, tags: ['a'] });
    await store.set(col, 'd', { b: 2, nested: { y: 2 } }, { merge: true });
    await store.update(col, 'd', { 'nested.z': 3, count: fieldOps.increment(2), tags: fieldOps.arrayUnion('a', 'b') });
    await store.update(col, 'd', { count: fieldOps.increment(1) });
    expect(await store.get(col, 'd')).toEqual({ a: 1, b: 2, nested: { x: 1, y: 2, z: 3 }, tags: ['a', 'b'], count: 3 });
  });

  test('server time comes back as a Date', async () => {
    await store.set(col, 't', { at: fieldOps.serverTime() });
    const doc = await store.get(col, 't');
    expect(doc?.['at']).toBeInstanceOf(Date);
  });

  test('queries filter, order, limit, page and count', async () => {
    for (let i = 0; i < 5; i++) await store.set(col, `q${i}`, { state: i % 2 === 0 ? 'pending' : 'done', rank: i });
    const page1 = await store.query(col, { where: [['state', '==', 'pending']], orderBy: [['rank', 'asc']], limit: 2 });
    expect(page1.map((d) => d.id)).toEqual(['q0', 'q2']);
    // Keyset paging: a range filter on the order field.
    const page2b = await store.query(col, {
      where: [
        ['state', '==', 'pending'],
        ['rank', '>', 2],
      ],
      orderBy: [['rank', 'asc']],
    });
    expect(page2b.map((d) => d.id)).toEqual(['q4']);
    expect(await store.count(col, { where: [['state', '==', 'done']] })).toBe(2);
    expect((await store.getAll(col, ['q1', 'missing'])).map((d) => d?.['rank'])).toEqual([1, undefined]);
  });

  test('set() without merge replaces the whole document', async () => {
    await store.set(col, 'r', { a: 1, nested: { x: 1 } });
    await store.set(col, 'r', { b: 2 });
    expect(await store.get(col, 'r')).toEqual({ b: 2 });
  });

  test('fieldOps.delete() removes fields, nested ones through dotted keys, in update() and in merges', async () => {
    await store.set(col, 'd', { a: 1, b: 2, nested: { x: 1, y: 2 } });
    await store.update(col, 'd', { a: fieldOps.delete(), 'nested.x': fieldOps.delete() });
    expect(await store.get(col, 'd')).toEqual({ b: 2, nested: { y: 2 } });
    await store.set(col, 'd', { b: fieldOps.delete() }, { merge: true });
    expect(await store.get(col, 'd')).toEqual({ nested: { y: 2 } });
  });

  test('increment and arrayUnion on missing fields start from nothing', async () => {
    await store.create(col, 'o', { keep: true });
    await store.update(col, 'o', { n: fieldOps.increment(3), list: fieldOps.arrayUnion('x', 'y') });
    await store.update(col, 'o', { list: fieldOps.arrayUnion('y', 'z') });
    expect(await store.get(col, 'o')).toEqual({ keep: true, n: 3, list: ['x', 'y', 'z'] });
  });

  test('queries: !=, in, array-contains, ranges with descending order, nested field paths', async () => {
    for (let i = 0; i < 6; i++) {
      await store.create(col, `q${i}`, { rank: i, kind: i % 3 === 0 ? 'a' : 'b', tags: [i % 2 === 0 ? 'even' : 'odd'], meta: { level: i % 3 } });
    }
    await store.create(col, 'norank', { kind: 'c' });
    const ids = (docs: Array<{ id: string }>) => docs.map((d) => d.id).sort();
    // != leaves out documents that lack the field.
    expect(ids(await store.query(col, { where: [['rank', '!=', 2]] }))).toEqual(['q0', 'q1', 'q3', 'q4', 'q5']);
    expect(ids(await store.query(col, { where: [['kind', 'in', ['a', 'c']]] }))).toEqual(['norank', 'q0', 'q3']);
    expect(ids(await store.query(col, { where: [['tags', 'array-contains', 'even']] }))).toEqual(['q0', 'q2', 'q4']);
    const range = await store.query(col, {
      where: [
        ['rank', '>=', 2],
        ['rank', '<=', 4],
      ],
      orderBy: [['rank', 'desc']],
    });
    expect(range.map((d) => d.id)).toEqual(['q4', 'q3', 'q2']);
    expect(ids(await store.query(col, { where: [['meta.level', '==', 1]] }))).toEqual(['q1', 'q4']);
    expect(await store.count(col, { where: [['meta.level', '==', 0]] })).toBe(2);
  });

  test('update() replaces a map field whole; set() with merge merges into it', async () => {
    await store.set(col, 'm', { m: { a: 1, b: 1 } });
    await store.update(col, 'm', { m: { c: 1 } });
    expect(await store.get(col, 'm')).toEqual({ m: { c: 1 } });
    await store.set(col, 'm', { m: { d: 1 } }, { merge: true });
    expect(await store.get(col, 'm')).toEqual({ m: { c: 1, d: 1 } });
  });

  test('arrayUnion adds each distinct value once, even when repeated in one call', async () => {
    await store.set(col, 'u', { tags: ['a'] });
    await store.update(col, 'u', { tags: fieldOps.arrayUnion('x', 'x', 'a') });
    expect(await store.get(col, 'u')).toEqual({ tags: ['a', 'x'] });
  });

  test('ordering leaves out documents without the ordered field and breaks ties by id in its direction', async () => {
    await store.set(col, 'a', { rank: 1 });
    await store.set(col, 'b', { rank: 1 });
    await store.set(col, 'c', { other: true });
    const desc = await store.query(col, { orderBy: [['rank', 'desc']] });
    expect(desc.map((d) => d.id)).toEqual(['b', 'a']);
    const asc = await store.query(col, { orderBy: [['rank', 'asc']] });
    expect(asc.map((d) => d.id)).toEqual(['a', 'b']);
  });

  test('delete removes the document', async () => {
    await store.set(col, 'gone', { a: 1 });
    await store.delete(col, 'gone');
    expect(await store.get(col, 'gone')).toBeUndefined();
  });
});
