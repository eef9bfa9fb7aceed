/**
 * The Firestore adapter shares RPCs between requests that arrive together (issue #15):
 * checked through the real @google-cloud/firestore client against the local stand-in,
 * counting the RPCs the stand-in receives.
 */
import { type Firestore, Timestamp } from '@google-cloud/firestore';
import { jest } from '@jest/globals';
import { type FirestoreEmulator, startFirestoreEmulator } from '../../local/firestore';
import { createFirestoreDocStore } from '../../shared/adapters/firestore';
import { MAX_READS_PER_BATCH } from '../../shared/adapters/firestore-batching';
import { createFirestore } from '../../shared/google';
import { DocAlreadyExistsError, DocNotFoundError, type DocStore, fieldOps } from '../../shared/ports/docstore';

let emulator: FirestoreEmulator;
let db: Firestore;
let store: DocStore;
let col: string;

beforeAll(async () => {
  emulator = await startFirestoreEmulator();
  process.env['FIRESTORE_EMULATOR_HOST'] = emulator.host;
  db = createFirestore('batching-test', '(default)');
  store = createFirestoreDocStore(db);
});
afterAll(async () => {
  await db.terminate();
  await emulator.stop();
});
beforeEach(() => {
  col = `b${Math.random().toString(36).slice(2)}`;
});

/** The RPCs the stand-in receives while `run` runs. */
async function rpcsDuring<T>(run: () => Promise<T>): Promise<{ result: T; rpcs: Record<string, number> }> {
  const before = emulator.calls();
  const result = await run();
  const after = emulator.calls();
  const rpcs: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) if (n !== (before[name] ?? 0)) rpcs[name] = n - (before[name] ?? 0);
  return { result, rpcs };
}

describe('reads issued together', () => {
  test('go out as one BatchGetDocuments and each caller gets its own document (absent ones too, repeats too)', async () => {
    await Promise.all([store.set(col, 'a', { n: 1 }), store.set(col, 'b', { n: 2 })]);
    const { result, rpcs } = await rpcsDuring(() =>
      Promise.all([store.get(col, 'b'), store.get(col, 'missing'), store.get(col, 'a'), store.get(col, 'b'), store.getAll(col, ['a', 'missing'])]),
    );
    expect(result).toEqual([{ n: 2 }, undefined, { n: 1 }, { n: 2 }, [{ n: 1 }, undefined]]);
    expect(rpcs).toEqual({ BatchGetDocuments: 1 });
  });

  test(`are sent in requests of at most ${MAX_READS_PER_BATCH} documents`, async () => {
    const ids = Array.from({ length: 2 * MAX_READS_PER_BATCH + 1 }, (_, i) => `d${i}`);
    const { result, rpcs } = await rpcsDuring(() => Promise.all(ids.map((id) => store.get(col, id))));
    expect(result.every((d) => d === undefined)).toBe(true);
    expect(rpcs).toEqual({ BatchGetDocuments: 3 });
  });
});

describe('writes issued together', () => {
  test('go out as BatchWrite; an ALREADY_EXISTS fails only its own caller, with the same typed error as alone', async () => {
    await store.create(col, 'taken', { n: 1 });
    const { result, rpcs } = await rpcsDuring(() =>
      Promise.allSettled([
        store.create(col, 'new-1', { n: 2 }),
        store.create(col, 'taken', { n: 3 }),
        store.create(col, 'new-2', { n: 4 }),
        store.set(col, 'set', { n: 5 }),
      ]),
    );
    expect(result.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((result[1] as PromiseRejectedResult).reason).toBeInstanceOf(DocAlreadyExistsError);
    expect(rpcs).toEqual({ BatchWrite: 1 });
    expect(await store.getAll(col, ['taken', 'new-1', 'new-2', 'set'])).toEqual([{ n: 1 }, { n: 2 }, { n: 4 }, { n: 5 }]);
  });

  test("update keeps its exists precondition: a missing document's caller gets DocNotFoundError, nothing is created, neighbours land", async () => {
    await store.set(col, 'here', { n: 1 });
    const [missing, here, gone] = await Promise.allSettled([
      store.update(col, 'absent', { n: 9 }),
      store.update(col, 'here', { n: 2 }),
      store.delete(col, 'never-was'),
    ]);
    expect(missing.status).toBe('rejected');
    expect((missing as PromiseRejectedResult).reason).toBeInstanceOf(DocNotFoundError);
    expect(here.status).toBe('fulfilled');
    expect(gone.status).toBe('fulfilled');
    expect(await store.getAll(col, ['absent', 'here'])).toEqual([undefined, { n: 2 }]);
  });

  test('data the client refuses before sending (an update without fields) fails only its own caller, batched or alone', async () => {
    await store.set(col, 'doc', { n: 1 });
    const [empty, neighbour] = await Promise.allSettled([
      store.update(col, 'doc', {}),
      store.update(col, 'doc2', { n: 1 }).catch(() => store.set(col, 'doc2', { n: 2 })),
    ]);
    expect(empty.status).toBe('rejected');
    expect(neighbour.status).toBe('fulfilled');
    await expect(store.update(col, 'doc', {})).rejects.toThrow(/at least one field/i);
    expect(await store.getAll(col, ['doc', 'doc2'])).toEqual([{ n: 1 }, { n: 2 }]);
  });

  test('several writes to one document in a turn all apply (BatchWrite refuses repeats, so they go in separate requests)', async () => {
    await store.set(col, 'counter', { n: 0 });
    const { rpcs } = await rpcsDuring(() => Promise.all(Array.from({ length: 5 }, () => store.update(col, 'counter', { n: fieldOps.increment(1) }))));
    expect(await store.get(col, 'counter')).toEqual({ n: 5 });
    expect(rpcs['BatchWrite']).toBe(5);
    expect(rpcs['Commit']).toBeUndefined();
  });

  test('are sent in bounded requests (at most 20 writes each, the client BulkWriter batch size)', async () => {
    const { rpcs } = await rpcsDuring(() => Promise.all(Array.from({ length: 45 }, (_, i) => store.create(col, `w${i}`, { i }))));
    expect(rpcs).toEqual({ BatchWrite: 3 });
    expect((await store.getAll(col, ['w0', 'w44'])).map((d) => d?.['i'])).toEqual([0, 44]);
  });
});

describe('a request alone', () => {
  test('waits for no company: its read is handed to the client in the same event-loop turn, as one plain RPC', async () => {
    await store.set(col, 'solo', { n: 1 });
    const getAll = jest.spyOn(db, 'getAll');
    try {
      const pending = store.get(col, 'solo');
      expect(getAll).not.toHaveBeenCalled();
      // The check phase of this very turn: no timer has to fire.
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(getAll).toHaveBeenCalledTimes(1);
      const { result, rpcs } = await rpcsDuring(() => pending);
      expect(result).toEqual({ n: 1 });
      expect(rpcs).toEqual({ BatchGetDocuments: 1 });
    } finally {
      getAll.mockRestore();
    }
  });

  test('a lone write is the single-write Commit it was before batching, with the same typed error', async () => {
    const { rpcs } = await rpcsDuring(() => store.create(col, 'one', { n: 1 }));
    expect(rpcs).toEqual({ Commit: 1 });
    await expect(store.create(col, 'one', { n: 2 })).rejects.toBeInstanceOf(DocAlreadyExistsError);
    await expect(store.update(col, 'nobody', { n: 2 })).rejects.toBeInstanceOf(DocNotFoundError);
  });
});

test("a caller's read after its own write sees the write, while others' reads and writes share its RPCs", async () => {
  await store.set(col, 'mine', { v: 'old' });
  const mine = async () => {
    await store.set(col, 'mine', { v: 'new' }, { merge: true });
    return store.get(col, 'mine');
  };
  const others = Array.from({ length: 10 }, (_, i) => (i % 2 ? store.set(col, `o${i}`, { i }) : store.get(col, 'mine')));
  const [seen] = await Promise.all([mine(), ...others]);
  expect(seen).toEqual({ v: 'new' });
});

describe('the stand-in answers BatchWrite through the real client (BulkWriter) with a status per write', () => {
  test('an updateTime precondition that no longer holds fails only that write (FAILED_PRECONDITION)', async () => {
    const ref = db.collection(col).doc('versioned');
    const first = await ref.set({ n: 1 });
    await ref.set({ n: 2 });
    const bulk = db.bulkWriter({ throttling: false });
    const stale = bulk.update(ref, { n: 3 }, { lastUpdateTime: first.writeTime });
    const other = bulk.create(db.collection(col).doc('fresh'), { n: 1 });
    const missing = bulk.update(db.collection(col).doc('nope'), { n: 1 });
    await bulk.close();
    await expect(stale).rejects.toMatchObject({ code: 9 });
    await expect(missing).rejects.toMatchObject({ code: 5 });
    await expect(other).resolves.toMatchObject({ writeTime: expect.any(Timestamp) });
    expect((await ref.get()).data()).toEqual({ n: 2 });
  });
});
