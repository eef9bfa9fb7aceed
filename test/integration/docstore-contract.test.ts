/**
 * The same behaviour checks against the Firestore adapter (real @google-cloud/firestore
 * client, local Firestore stand-in) and the in-memory adapter, so unit tests that use
 * the fake can trust it.
 */
import { createFirestoreDocStore } from '../../shared/adapters/firestore';
import { createMemoryDocStore } from '../../shared/adapters/memory-docstore';
import { createFirestore } from '../../shared/google';
import { DocAlreadyExistsError, DocNotFoundError, type DocStore, fieldOps } from '../../shared/ports/docstore';
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
    const page2b = await store.query(col, { where: [['state', '==', 'pending'], ['rank', '>', 2]], orderBy: [['rank', 'asc']] });
    expect(page2b.map((d) => d.id)).toEqual(['q4']);
    expect(await store.count(col, { where: [['state', '==', 'done']] })).toBe(2);
    expect((await store.getAll(col, ['q1', 'missing'])).map((d) => d?.['rank'])).toEqual([1, undefined]);
  });

  test('delete removes the document', async () => {
    await store.set(col, 'gone', { a: 1 });
    await store.delete(col, 'gone');
    expect(await store.get(col, 'gone')).toBeUndefined();
  });
});
