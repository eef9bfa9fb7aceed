/**
 * The Zoom mock's data: engagements with their recordings, transcripts, notes,
 * dispositions, voicemails and messaging transcripts. Generated deterministically from a
 * seed (same seed, same day, same bytes), or added one by one by a test.
 */

export interface MockRecording {
  recordingId: string;
  bytes: number;
  contentType: string;
  startTime: string;
  endTime: string;
  durationSeconds: number;
  /** A transcript exists for it (served as text/vtt). */
  transcript: boolean;
}

export interface MockNote {
  noteId: string;
  note: string;
  userId: string;
  userName: string;
  createdTime: string;
}

export interface MockDisposition {
  dispositionId: string;
  dispositionName: string;
  userId: string;
  at: string;
}

export interface MockVoicemail {
  messageId: string;
  bytes: number;
  at: string;
  transcript: boolean;
}

export interface MockEngagement {
  engagementId: string;
  channel: 'voice' | 'messaging';
  direction: 'inbound' | 'outbound';
  queueId: string;
  queueName: string;
  agentId: string;
  agentName: string;
  consumerNumber: string;
  startTime: string;
  endTime: string;
  recordings: MockRecording[];
  notes: MockNote[];
  dispositions: MockDisposition[];
  voicemails: MockVoicemail[];
  messagingTranscript: boolean;
}

/** A small seeded PRNG (mulberry32): same seed, same sequence. */
export function seededRandom(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The mock's cast: shared with generators of other days (scripts/chaos/day.ts). */
export const QUEUES = [
  { id: 'q-sales', name: 'Sales' },
  { id: 'q-support', name: 'Support' },
  { id: 'q-billing', name: 'Billing' },
];
export const AGENTS = [
  { id: 'u-alice', name: 'Alice Agent' },
  { id: 'u-bob', name: 'Bob Agent' },
  { id: 'u-carol', name: 'Carol Agent' },
  { id: 'u-dan', name: 'Dan Agent' },
];
export const DISPOSITIONS = [
  { id: 'd-resolved', name: 'Resolved' },
  { id: 'd-callback', name: 'Callback requested' },
  { id: 'd-escalated', name: 'Escalated' },
  { id: 'd-sale', name: 'Sale' },
];
export const NOTES = [
  'Customer asked about the invoice.',
  'Promised a callback tomorrow.',
  'Verified identity.',
  'Explained the new plan.',
  'Customer satisfied.',
];

export interface GenerateOptions {
  seed: string;
  /** UTC day, YYYY-MM-DD. */
  date: string;
  engagements: number;
  /** Recording sizes are drawn in this range (bytes). */
  recordingBytes?: { min: number; max: number };
  voicemailBytes?: { min: number; max: number };
}

/** A realistic day: mostly voice calls with a recording, some transfers, a few messaging sessions and voicemails. */
export function generateDay(options: GenerateOptions): MockEngagement[] {
  const rnd = seededRandom(`${options.seed}:${options.date}`);
  const out: MockEngagement[] = [];
  for (let n = 0; n < options.engagements; n++) {
    out.push(buildEngagement(rnd, `eng-${options.date.replaceAll('-', '')}-${String(n + 1).padStart(4, '0')}`, n, options));
  }
  return out;
}

/**
 * A day that is never materialised: engagement `n` is a pure function of the seed, the date
 * and `n` (its own random sequence), so a mock can hold 50 000 engagements and generate only
 * those a request touches. Ids are `engz-<yyyymmdd>-<n>`, so the engagement behind any id
 * (or file path) can be found again without an index.
 */
export interface LazyDay extends GenerateOptions {
  readonly idPrefix: string;
}

/** Starts drift at most this far past an engagement's slot, and last at most this long. */
const START_JITTER_MS = 60_000;
const MAX_DURATION_MS = 900_000;
const WORKDAY_MS = 9 * 3600_000;

export function lazyDay(options: GenerateOptions): LazyDay {
  return { ...options, idPrefix: `engz-${options.date.replaceAll('-', '')}-` };
}

export function lazyEngagement(day: LazyDay, n: number): MockEngagement {
  return buildEngagement(seededRandom(`${day.seed}:${day.date}:${n}`), `${day.idPrefix}${String(n + 1).padStart(6, '0')}`, n, day);
}

/** The index an id of this day stands for, or undefined. */
export function lazyIndexOf(day: LazyDay, engagementId: string): number | undefined {
  if (!engagementId.startsWith(day.idPrefix)) return undefined;
  const n = Number(engagementId.slice(day.idPrefix.length)) - 1;
  return Number.isInteger(n) && n >= 0 && n < day.engagements ? n : undefined;
}

/**
 * Indexes whose engagement may start in [fromMs - slackBeforeMs, toMs]: slots are evenly
 * spread over the working day, so the range is computed, not searched.
 */
export function lazyIndexRange(day: LazyDay, fromMs: number, toMs: number, slackBeforeMs: number): { first: number; last: number } {
  const dayStart = Date.parse(`${day.date}T08:00:00Z`);
  const count = Math.max(day.engagements, 1);
  const slot = (ms: number) => ((ms - dayStart) * count) / WORKDAY_MS;
  const first = Math.max(0, Math.floor(slot(fromMs - slackBeforeMs - START_JITTER_MS)) - 1);
  const last = Math.min(day.engagements - 1, Math.ceil(slot(toMs)) + 1);
  return { first, last };
}

/** How far before its start an engagement's latest time (end, recording end) can be. */
export const LAZY_MAX_SPAN_MS = START_JITTER_MS + MAX_DURATION_MS;

/** What a listing filters on, per engagement of a lazy day: 17 bytes each instead of an object. */
export interface LazyDayIndex {
  starts: Float64Array;
  ends: Float64Array;
  /** LAZY_HAS bits. */
  has: Uint8Array;
}

export const LAZY_HAS = { recording: 1, voicemail: 2, messaging: 4 } as const;

/** Generates each engagement once (then drops it) to record its times and what it holds. */
export function buildLazyIndex(day: LazyDay): LazyDayIndex {
  const index: LazyDayIndex = { starts: new Float64Array(day.engagements), ends: new Float64Array(day.engagements), has: new Uint8Array(day.engagements) };
  for (let n = 0; n < day.engagements; n++) {
    const e = lazyEngagement(day, n);
    index.starts[n] = Date.parse(e.startTime);
    index.ends[n] = Date.parse(e.endTime);
    index.has[n] =
      (e.recordings.length > 0 ? LAZY_HAS.recording : 0) |
      (e.voicemails.length > 0 ? LAZY_HAS.voicemail : 0) |
      (e.messagingTranscript ? LAZY_HAS.messaging : 0);
  }
  return index;
}

function buildEngagement(rnd: () => number, id: string, n: number, options: GenerateOptions): MockEngagement {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const between = (min: number, max: number) => Math.floor(min + rnd() * (max - min + 1));
  const rec = options.recordingBytes ?? { min: 64 * 1024, max: 2 * 1024 * 1024 };
  const vm = options.voicemailBytes ?? { min: 16 * 1024, max: 256 * 1024 };
  const dayStart = Date.parse(`${options.date}T08:00:00Z`);
  const start = dayStart + Math.floor((n / Math.max(options.engagements, 1)) * WORKDAY_MS) + between(0, START_JITTER_MS);
  const durationSeconds = between(60, MAX_DURATION_MS / 1000);
  const end = start + durationSeconds * 1000;
  const queue = pick(QUEUES);
  const agent = pick(AGENTS);
  const kind = rnd();
  const channel: MockEngagement['channel'] = kind < 0.15 ? 'messaging' : 'voice';
  const voicemail = channel === 'voice' && kind > 0.9;
  const iso = (ms: number) => new Date(ms).toISOString();
  const e: MockEngagement = {
    engagementId: id,
    channel,
    direction: rnd() < 0.8 ? 'inbound' : 'outbound',
    queueId: queue.id,
    queueName: queue.name,
    agentId: agent.id,
    agentName: agent.name,
    consumerNumber: `+1555${String(between(1000000, 9999999))}`,
    startTime: iso(start),
    endTime: iso(end),
    recordings: [],
    notes: [],
    dispositions: [],
    voicemails: [],
    messagingTranscript: channel === 'messaging',
  };
  if (voicemail) {
    // About half the voicemails are not transcribed (transcription off, or too short).
    e.voicemails.push({ messageId: `vm-${id}`, bytes: between(vm.min, vm.max), at: iso(end), transcript: kind > 0.95 });
  } else if (channel === 'voice') {
    e.recordings.push({
      recordingId: `rec-${id}-1`,
      bytes: between(rec.min, rec.max),
      contentType: 'audio/mpeg',
      startTime: iso(start),
      endTime: iso(end),
      durationSeconds,
      transcript: rnd() < 0.8,
    });
  }
  if (!voicemail) {
    const notes = between(0, 3);
    for (let i = 0; i < notes; i++) {
      // The same text noted twice is one note (its key is its text: shared/zoom/item-keys.ts).
      const text = pick(NOTES);
      const note = e.notes.some((x) => x.note === text) ? `${text} (${i + 1})` : text;
      e.notes.push({
        noteId: `note-${id}-${i + 1}`,
        note,
        userId: agent.id,
        userName: agent.name,
        createdTime: iso(start + ((i + 1) * (end - start)) / (notes + 1)),
      });
    }
    const disposition = pick(DISPOSITIONS);
    e.dispositions.push({ dispositionId: disposition.id, dispositionName: disposition.name, userId: agent.id, at: iso(end - 5000) });
    // A transfer: a second agent sets their own disposition too.
    if (rnd() < 0.2) {
      const other = pick(AGENTS.filter((a) => a.id !== agent.id));
      const second = pick(DISPOSITIONS);
      e.dispositions.push({ dispositionId: second.id, dispositionName: second.name, userId: other.id, at: iso(end - 1000) });
    }
  }
  return e;
}
