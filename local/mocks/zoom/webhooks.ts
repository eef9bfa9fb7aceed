/**
 * How the Zoom mock sends webhooks: signed like Zoom (`x-zm-signature: v0=HMAC-SHA256(secret,
 * "v0:<ts>:<body>")`), with Zoom's delivery behaviour (3 s answer limit, retries on
 * failure) and the faults Zoom exhibits: dropped, duplicated (re-sent with another
 * download token), delayed and reordered deliveries.
 */
import { createHmac } from 'node:crypto';
import { seededRandom } from './model';

export interface ZoomEnvelope {
  event: string;
  event_ts: number;
  payload: { account_id: string; object: Record<string, unknown> } | Record<string, unknown>;
}

export interface DeliveryOptions {
  /** Probability that an event is never sent. */
  drop?: number;
  /** Probability that an event is sent twice (the copy with new download tokens). */
  duplicate?: number;
  /** Probability and range of an extra delay before an event is sent. */
  delay?: { probability: number; minMs: number; maxMs: number };
  /** Shuffle events within windows of this many events (1 or absent = keep order). */
  reorderWindow?: number;
  /** Events in flight at once. */
  concurrency?: number;
  /** Zoom retries 3 times (≈5, 20, 60 min); tests shorten this. */
  retryDelaysMs?: number[];
  /** Zoom gives up on an answer after 3 s. */
  timeoutMs?: number;
  seed?: string;
}

export interface DeliveryReport {
  events: number;
  dropped: number;
  duplicatesSent: number;
  /** HTTP requests made, retries included. */
  requests: number;
  acknowledged: number;
  /** Events never acknowledged after every retry. */
  givenUp: number;
  statuses: Record<string, number>;
}

export interface WebhookTarget {
  url: string;
  secret: string;
}

export function signBody(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export async function postSigned(target: WebhookTarget, body: string, options: { timeoutMs?: number; timestamp?: number; signature?: string } = {}): Promise<{ status: number; text: string }> {
  const ts = options.timestamp ?? Math.floor(Date.now() / 1000);
  try {
    const res = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-zm-request-timestamp': String(ts), 'x-zm-signature': options.signature ?? signBody(target.secret, ts, body), 'user-agent': 'Zoom Marketplace/1.0a' },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
    });
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 0, text: 'timeout or connection error' };
  }
}

export async function deliverEvents(target: WebhookTarget, events: ZoomEnvelope[], options: DeliveryOptions, refreshTokens: (e: ZoomEnvelope) => ZoomEnvelope): Promise<DeliveryReport> {
  const rnd = seededRandom(options.seed ?? 'deliveries');
  const order = events.map((e, i) => ({ e, i }));
  const window = Math.max(options.reorderWindow ?? 1, 1);
  for (let start = 0; start < order.length; start += window) {
    for (let i = Math.min(start + window, order.length) - 1; i > start; i--) {
      const j = start + Math.floor(rnd() * (i - start + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }
  const report: DeliveryReport = { events: events.length, dropped: 0, duplicatesSent: 0, requests: 0, acknowledged: 0, givenUp: 0, statuses: {} };
  const sends: Array<{ e: ZoomEnvelope; delayMs: number; counts: boolean }> = [];
  for (const { e } of order) {
    if (rnd() < (options.drop ?? 0)) {
      report.dropped++;
      continue;
    }
    const delayMs = options.delay && rnd() < options.delay.probability ? options.delay.minMs + rnd() * (options.delay.maxMs - options.delay.minMs) : 0;
    sends.push({ e, delayMs, counts: true });
    if (rnd() < (options.duplicate ?? 0)) {
      report.duplicatesSent++;
      // A separate delivery, signed at a later second (an identical request would be a replay).
      sends.push({ e: refreshTokens(e), delayMs: delayMs + 1100 + rnd() * 400, counts: false });
    }
  }
  const retryDelays = options.retryDelaysMs ?? [300_000, 1_200_000, 3_600_000];
  const sendOne = async (s: { e: ZoomEnvelope; delayMs: number; counts: boolean }) => {
    if (s.delayMs > 0) await new Promise((r) => setTimeout(r, s.delayMs));
    for (let attempt = 0; attempt <= retryDelays.length; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, retryDelays[attempt - 1]));
      report.requests++;
      const { status } = await postSigned(target, JSON.stringify(s.e), { timeoutMs: options.timeoutMs ?? 3000 });
      report.statuses[String(status)] = (report.statuses[String(status)] ?? 0) + 1;
      if (status >= 200 && status < 300) {
        if (s.counts) report.acknowledged++;
        return;
      }
    }
    if (s.counts) report.givenUp++;
  };
  let next = 0;
  const workers = Array.from({ length: Math.max(options.concurrency ?? 8, 1) }, async () => {
    while (next < sends.length) await sendOne(sends[next++]!);
  });
  await Promise.all(workers);
  return report;
}
