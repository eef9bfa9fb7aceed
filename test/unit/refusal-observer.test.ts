/**
 * A refusal's answer waits for its observer (zoom-webhook's refusal record) at most
 * REFUSAL_OBSERVER_WAIT_MS: an observer stuck on an unreachable Firestore once held every
 * refused request for the client's 60 s deadline (body-inflation-memory.test.ts timed out).
 * The wait runs on an injected sleep, so nothing here waits in real time.
 */
import { notifyRefusal, REFUSAL_OBSERVER_WAIT_MS, type RefusalNotice } from '../../shared/http/refusal-observer';
import { createLogger } from '../../shared/logging';

const notice: RefusalNotice = {
  stage: 'function',
  method: 'POST',
  path: '/',
  status: 401,
  code: 'unauthenticated',
  message: 'bad signature',
  parsedBody: undefined,
};

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, log: createLogger({ sink: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }) };
}

/** A sleep the test ends by hand, recording what it was asked for and whether it was cancelled. */
function manualSleep() {
  const calls: Array<{ ms: number; aborted: () => boolean; end: () => void }> = [];
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ ms, aborted: () => signal?.aborted === true, end: resolve });
      signal?.addEventListener('abort', () => reject(new Error('aborted')));
    });
  return { calls, sleep };
}

test('an observer that never finishes delays the answer only until the bounded wait ends, and says so in the log', async () => {
  const { lines, log } = capture();
  const { calls, sleep } = manualSleep();
  let settled = false;
  const answered = notifyRefusal(() => new Promise<void>(() => undefined), notice, log, { sleep }).then(() => {
    settled = true;
  });
  await Promise.resolve();
  expect(calls.map((c) => c.ms)).toEqual([REFUSAL_OBSERVER_WAIT_MS]);
  await new Promise((r) => setImmediate(r));
  expect(settled).toBe(false);
  calls[0]!.end();
  await answered;
  expect(settled).toBe(true);
  expect(lines.map((l) => l['message'])).toEqual(['refusal answered before its record was written']);
});

test('an observer that finishes in time is waited for, and the bounded wait is cancelled', async () => {
  const { lines, log } = capture();
  const { calls, sleep } = manualSleep();
  const seen: RefusalNotice[] = [];
  await notifyRefusal(
    async (n) => {
      seen.push(n);
    },
    notice,
    log,
    { sleep },
  );
  expect(seen).toEqual([notice]);
  expect(calls).toHaveLength(1);
  expect(calls[0]!.aborted()).toBe(true);
  expect(lines).toEqual([]);
});

test('an observer that fails is logged and never thrown', async () => {
  const { lines, log } = capture();
  const { sleep } = manualSleep();
  await expect(
    notifyRefusal(
      async () => {
        throw new Error('firestore unavailable');
      },
      notice,
      log,
      { sleep },
    ),
  ).resolves.toBeUndefined();
  expect(lines.map((l) => [l['severity'], l['message']])).toEqual([['WARNING', 'refusal observer failed']]);
});
