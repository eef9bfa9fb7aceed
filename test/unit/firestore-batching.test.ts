/**
 * The batcher's own failure paths, which the real client only reaches in states a test
 * cannot hold it in (a synchronous throw from `getAll` or `bulkWriter`): the callers of the
 * turn get the error, and nothing escapes into the event loop. The semantics through the
 * real client: test/integration/firestore-batching.test.ts.
 */
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import { createFirestoreBatcher } from '../../shared/adapters/firestore-batching';

const refusing = new Error('client refuses');
const db = {
  getAll: () => {
    throw refusing;
  },
  bulkWriter: () => {
    throw refusing;
  },
} as unknown as Firestore;
const ref = (path: string) => ({ path }) as unknown as DocumentReference;

test('a synchronous throw while sending reads or writes rejects every caller of the turn', async () => {
  const sends: Array<() => void> = [];
  const batcher = createFirestoreBatcher(db, { schedule: (send) => sends.push(send) });
  const calls = [
    batcher.get(ref('c/a')),
    batcher.get(ref('c/b')),
    batcher.write({ kind: 'delete', ref: ref('c/a') }),
    batcher.write({ kind: 'delete', ref: ref('c/b') }),
  ];
  // One send per kind per turn, whatever the number of callers.
  expect(sends).toHaveLength(2);
  for (const send of sends) expect(send).not.toThrow();
  const results = await Promise.allSettled(calls);
  expect(results).toEqual(Array.from({ length: 4 }, () => ({ status: 'rejected', reason: refusing })));
});
