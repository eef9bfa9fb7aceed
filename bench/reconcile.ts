/**
 * `npm run bench -- reconcile [--engagements=50000] [--missing=0.01] [--rate=20] [--lanes=4] [--chunk-hours=6] [--slice-pages=10]`:
 * a day of 50 000 engagements in the Zoom mock (generated lazily, in a child process of its
 * own: Zoom is a remote server, and sharing this event loop would skew both the client's
 * pacing and the arrival times it is judged by), the ledger holding all but 1 % of them, and
 * one reconciliation run — the core with its lanes in this process (the CLI's mode), the real
 * Zoom client and limiter over HTTP, Firestore and Pub/Sub in memory (what is measured is
 * the Zoom side: its calls and their pace).
 *
 * The mock enforces the same per-second limit the client is configured with, so a request
 * above the rate would show as a 429. Prints: API calls (against the target: list pages plus
 * the missing items, no call per engagement already present), wall time, and the achieved
 * request rate as a fraction of the configured limit (target ≥ 90 %, never above).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMemoryDocStore } from '../test/support/doubles/memory-docstore';
import { createMemoryEventBus } from '../test/support/doubles/memory-eventbus';
import { Secret } from '../shared/config';
import { createLogger } from '../shared/logging';
import type { DocData } from '../shared/ports/docstore';
import { reconcileInProcess } from '../shared/reconcile/in-process';
import { createLaneLimits, type LaneLimits } from '../shared/reconcile/lane-limits';
import { formatReportTable } from '../shared/reconcile/report';
import { createReconcileStore } from '../shared/reconcile/store';
import { explicitWindow } from '../shared/reconcile/window';
import { createReconcileZoom } from '../shared/reconcile/zoom-clients';
import { artifactKey } from '../shared/zoom/artifacts';
import { dispositionItemKey, noteItemKey } from '../shared/zoom/item-keys';
import { LEDGER_COLLECTION } from '../shared/zoom/ledger';
import type { ZoomRateCategory } from '../shared/zoom/rate-limiter';
import { type MockStats, type RateLimits, startZoomMock } from '../local/mocks/zoom';
import { type GenerateOptions, lazyDay, lazyEngagement, type MockEngagement } from '../local/mocks/zoom/model';

const CREDENTIALS = { accountId: 'bench-account', clientId: 'bench-client', clientSecret: 'bench-client-secret' };
const DATE = '2026-11-02';

/**
 * The lane limits with every admission reported: when a lane's `acquire` resolves, the
 * request is let go (the client writes it next), so that moment is what the pace is judged by.
 */
function observeAdmissions(limits: LaneLimits, admitted: (category: ZoomRateCategory, at: number) => void): LaneLimits {
  return {
    pauses: limits.pauses,
    join(runId, lane, rates, lanes) {
      const limiter = limits.join(runId, lane, rates, lanes);
      return {
        async acquire(category, signal) {
          await limiter.acquire(category, signal);
          admitted(category, performance.timeOrigin + performance.now());
        },
        pause: (category, ms) => limiter.pause(category, ms),
        setRate: (category, perSecond) => limiter.setRate(category, perSecond),
        rate: (category) => limiter.rate(category),
        counts: limiter.counts,
      };
    },
    leave: (runId, lane, finished) => limits.leave(runId, lane, finished),
    setWorking: (runId, working) => limits.setWorking(runId, working),
  };
}

/** The ledger document the worker leaves for a fully processed engagement. */
function ledgerOf(e: MockEngagement): DocData {
  const at = new Date();
  const artifacts: DocData = {};
  const linked = (kind: string, key: string) => {
    artifacts[key] = { kind, state: 'linked', path: `zoom/${e.engagementId}/${key}`, updatedAt: at };
  };
  for (const r of e.recordings) {
    linked('recording', artifactKey('recording', r.recordingId));
    if (r.transcript) linked('recording_transcript', artifactKey('recording_transcript', r.recordingId));
  }
  for (const v of e.voicemails) {
    linked('voicemail', artifactKey('voicemail', v.messageId));
    if (v.transcript) linked('voicemail_transcript', artifactKey('voicemail_transcript', v.messageId));
  }
  if (e.messagingTranscript) linked('messaging_transcript', artifactKey('messaging_transcript'));
  const items: DocData = {};
  for (const n of e.notes) items[noteItemKey({ note: n.note })] = { kind: 'note', state: 'written', eventTs: Date.parse(n.createdTime), updatedAt: at };
  for (const d of e.dispositions)
    items[dispositionItemKey({ disposition_id: d.dispositionId })] = { kind: 'disposition', state: 'written', eventTs: Date.parse(d.at), updatedAt: at };
  return { engagementId: e.engagementId, state: 'complete', artifacts, items, updatedAt: at };
}

/** Entries of an engagement (what the report counts). */
const entriesOf = (e: MockEngagement) =>
  e.recordings.length +
  e.recordings.filter((r) => r.transcript).length +
  e.voicemails.length +
  e.voicemails.filter((v) => v.transcript).length +
  (e.messagingTranscript ? 1 : 0) +
  e.notes.length +
  new Set(e.dispositions.map((d) => d.dispositionId)).size;

/** The messages between the bench and its Zoom mock process. */
type ToMock = { type: 'start'; day: GenerateOptions; rateLimits: RateLimits } | { type: 'resetStats' } | { type: 'stats' } | { type: 'stop' };
type FromMock = { type: 'ready'; baseUrl: string } | { type: 'stats'; stats: MockStats; peak: number };

const CHILD_FLAG = '--reconcile-bench-zoom-mock';

/** The child: the Zoom mock, answering the parent over IPC. */
async function serveMockChild(): Promise<void> {
  const send = (m: FromMock) => process.send?.(m);
  let zoom: Awaited<ReturnType<typeof startZoomMock>> | undefined;
  process.on('message', async (m: ToMock) => {
    if (m.type === 'start') {
      zoom = await startZoomMock({ port: 0, ...CREDENTIALS, rateLimits: m.rateLimits });
      zoom.addGeneratedDay(m.day);
      send({ type: 'ready', baseUrl: zoom.baseUrl });
    } else if (m.type === 'resetStats') zoom?.resetStats();
    else if (m.type === 'stats' && zoom) send({ type: 'stats', stats: zoom.stats, peak: zoom.peakCalls('medium', 1000) });
    else if (m.type === 'stop') {
      await zoom?.stop();
      process.exit(0);
    }
  });
}

if (process.argv.includes(CHILD_FLAG)) await serveMockChild();

interface MockProcess {
  baseUrl: string;
  resetStats(): Promise<void>;
  stats(): Promise<{ stats: MockStats; peak: number }>;
  stop(): Promise<void>;
}

async function startMockProcess(day: GenerateOptions, rateLimits: RateLimits): Promise<MockProcess> {
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T extends FromMock['type']>(type: T) =>
    new Promise<Extract<FromMock, { type: T }>>((resolve, reject) => {
      const onMessage = (m: FromMock) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m as Extract<FromMock, { type: T }>);
      };
      const onExit = (code: number | null) => reject(new Error(`the Zoom mock process exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const send = (m: ToMock) => child.send(m);
  const ready = next('ready');
  send({ type: 'start', day, rateLimits });
  const { baseUrl } = await ready;
  return {
    baseUrl,
    async resetStats() {
      send({ type: 'resetStats' });
    },
    async stats() {
      const answer = next('stats');
      send({ type: 'stats' });
      const { stats, peak } = await answer;
      return { stats, peak };
    },
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      send({ type: 'stop' });
      await exited;
    },
  };
}

export default async function reconcileBench(args: string[]): Promise<void> {
  const option = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
  const engagements = option('engagements', 50_000);
  const missingShare = option('missing', 0.01);
  const rate = option('rate', 20);
  const lanes = option('lanes', 4);
  const chunkHours = option('chunk-hours', 6);
  const slicePages = option('slice-pages', 10);
  const rates = { light: rate * 2, medium: rate, heavy: rate / 2 };

  const generate: GenerateOptions = { seed: 'bench', date: DATE, engagements, recordingBytes: { min: 1000, max: 2000 } };
  // The mock enforces the rate the client is configured with: a request above it would be a 429.
  const zoom = await startMockProcess(generate, rates);
  try {
    const seedStarted = performance.now();
    const day = lazyDay(generate);
    const docs = createMemoryDocStore();
    const every = Math.max(1, Math.round(1 / missingShare));
    let missingEngagements = 0;
    let missingEntries = 0;
    let totalEntries = 0;
    for (let n = 0; n < engagements; n++) {
      const e = lazyEngagement(day, n);
      totalEntries += entriesOf(e);
      if (n % every === every - 1) {
        missingEngagements++;
        missingEntries += entriesOf(e);
        continue;
      }
      await docs.set(LEDGER_COLLECTION, e.engagementId, ledgerOf(e));
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    // When the limiter let each Zoom API request go (the last step before it is written: the
    // client's guarantee), next to when it reached the mock (what Zoom counts, jitter included).
    const sent: number[] = [];
    const bus = createMemoryEventBus();
    const logs: string[] = [];
    const deps = {
      store: createReconcileStore(docs),
      docs,
      bus,
      zoom: createReconcileZoom({
        apiBaseUrl: `${zoom.baseUrl}/v2`,
        tokenUrl: `${zoom.baseUrl}/oauth/token`,
        accountId: CREDENTIALS.accountId,
        clientId: CREDENTIALS.clientId,
        clientSecret: new Secret(CREDENTIALS.clientSecret),
        retry: { limit: 8, baseDelayMs: 500, maxDelayMs: 10_000 },
      }),
      limits: observeAdmissions(createLaneLimits(), (category, at) => category === 'medium' && sent.push(at)),
      settings: {
        accountId: CREDENTIALS.accountId,
        eventsTopic: 'zoom-events',
        rates,
        lanes,
        targetPagesPerSlice: slicePages,
        planChunkHours: chunkHours,
        staleMs: 3_600_000,
        retryFailedArtifacts: true,
        leaseMs: 60_000,
        laneBudgetMs: 420_000,
        tokenMaxAgeMs: 840_000,
        maxRestarts: 5,
        publishConcurrency: 16,
      },
      log: createLogger({ level: 'warn', sink: (line: string) => logs.push(line) }),
      now: Date.now,
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    };

    await zoom.resetStats();
    const started = performance.now();
    const { report } = await reconcileInProcess(deps, {
      window: explicitWindow({ from: DATE, to: DATE }, 'Etc/UTC', Date.now()),
      dryRun: false,
      trigger: 'bench',
    });
    const seconds = (performance.now() - started) / 1000;
    const { stats, peak } = await zoom.stats();

    const medium = stats.callTimes.medium;
    const calls = stats.apiCalls;
    const span = medium.length > 1 ? (medium[medium.length - 1]! - medium[0]!) / 1000 : 0;
    const achievedSpan = span > 0 ? (medium.length - 1) / span : 0;
    const achievedWall = medium.length / seconds;
    let sentPeak = 0;
    for (let i = 0, j = 0; i < sent.length; i++) {
      while (sent[i]! - sent[j]! >= 1000) j++;
      sentPeak = Math.max(sentPeak, i - j + 1);
    }
    const perEngagement = Object.entries(stats.callsByEndpoint)
      .filter(([k]) => k.includes('{id}'))
      .reduce((n, [, v]) => n + v, 0);
    const target = report.apiCalls.listPages + report.apiCalls.probes + missingEntries;

    console.log(
      `reconcile: ${engagements.toLocaleString('en')} engagements (${totalEntries.toLocaleString('en')} ` +
        `artifacts/notes/dispositions), ${missingEngagements} (${(missingShare * 100).toFixed(1)} %) missing from the ` +
        `ledger; medium rate ${rate}/s, ${lanes} lanes, slices of ≤ ${slicePages} pages planned per ${chunkHours} h; node ` +
        `${process.version}; seeding took ${seedSeconds.toFixed(1)} s`,
    );
    console.log(formatReportTable(report));
    console.table(
      Object.entries(stats.callsByEndpoint)
        .sort()
        .map(([endpoint, n]) => ({ endpoint, calls: n })),
    );
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    console.table([
      { figure: 'Zoom API calls', value: calls, target: `≤ ${target} (list pages + probes + missing items)`, ok: calls <= target },
      { figure: 'calls per engagement already present', value: perEngagement, target: '0', ok: perEngagement === 0 },
      {
        figure: 'entries backfilled = missing',
        value: `${report.totals.backfilled} = ${missingEntries}`,
        target: 'equal',
        ok: report.totals.backfilled === missingEntries,
      },
      { figure: 'wall time', value: `${seconds.toFixed(1)} s`, target: `≥ ${((calls - 1) / rate).toFixed(1)} s at ${rate}/s`, ok: true },
      {
        figure: 'achieved rate (first to last call)',
        value: `${achievedSpan.toFixed(2)}/s = ${pct(achievedSpan / rate)}`,
        target: '≥ 90 %, ≤ 100 %',
        ok: achievedSpan / rate >= 0.9 && achievedSpan <= rate,
      },
      {
        figure: 'achieved rate (whole run)',
        value: `${achievedWall.toFixed(2)}/s = ${pct(achievedWall / rate)}`,
        target: '(planning and report included)',
        ok: achievedWall <= rate,
      },
      { figure: 'most requests let go in any 1 s (client)', value: sentPeak, target: `≤ ${rate}`, ok: sentPeak <= rate },
      { figure: 'most requests arrived in any 1 s (mock)', value: peak, target: `≤ ${rate} (+ arrival jitter)`, ok: peak <= rate + 2 },
      { figure: 'answered 429 (mock limit = configured rate)', value: stats.rateLimited, target: '0', ok: stats.rateLimited === 0 },
    ]);
  } finally {
    await zoom.stop();
  }
}
