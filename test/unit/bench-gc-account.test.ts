/**
 * The HTTP benches' GC columns (bench/_gc-account.ts): a server process started as the benches
 * start it keeps an account of its GC pauses and answers the bench over IPC; a row's figures are
 * the difference of two answers per 1 000 requests, and the longest pause between them.
 */
import { type GcAccount, gcPerRequest } from '../../bench/_gc-account';
import { startTsProcess } from '../../bench/_processes';
import type { StockBareReady } from '../../bench/_stock-bare-process';

test('a bench server process answers with its GC account, which only grows while it serves', async () => {
  const server = await startTsProcess<StockBareReady>('./_stock-bare-process.ts', { readyVia: 'ipc' });
  try {
    const before = await server.gcAccount();
    expect(before).toEqual(expect.objectContaining({ minorMs: expect.any(Number), majorMs: expect.any(Number), longestMs: expect.any(Number) }));
    // Enough requests that the server's young generation fills at least once.
    for (let i = 0; i < 400; i++) await (await fetch(server.ready.url, { method: 'POST', body: JSON.stringify({ i, pad: 'x'.repeat(2000) }) })).text();
    const after = (await server.gcAccount())!;
    expect(after.minorCount + after.majorCount).toBeGreaterThan(before!.minorCount + before!.majorCount);
    expect(after.minorMs + after.majorMs).toBeGreaterThan(before!.minorMs + before!.majorMs);
    expect(after.longestMs).toBeGreaterThan(0);
  } finally {
    await server.stop();
  }
}, 60_000);

test('a row’s GC is its pause per 1 000 requests and the longest pause; unknown when an account is missing', () => {
  const account = (minorMs: number, majorMs: number, longestMs: number): GcAccount => ({ minorMs, majorMs, minorCount: 1, majorCount: 1, longestMs });
  expect(gcPerRequest(account(10, 5, 1), account(40, 25, 7), 500)).toEqual({ gcMsPer1k: 100, gcLongestMs: 7 });
  expect(gcPerRequest(undefined, account(1, 1, 1), 10)).toEqual({ gcMsPer1k: Number.NaN, gcLongestMs: Number.NaN });
});
