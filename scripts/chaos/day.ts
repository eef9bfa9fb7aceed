/**
 * The chaos run's traffic: N engagements (issue 8's mix) that all ended in the last
 * minutes — so their events are fresh, as Zoom's are when it sends them — each with a
 * recording and its transcript, 1–3 notes, 1–2 dispositions (a second agent's after a
 * transfer), some with a voicemail or a messaging transcript. Deterministic for a seed
 * and an end time.
 */
import { AGENTS, DISPOSITIONS, type MockEngagement, NOTES, QUEUES, seededRandom } from '../../local/mocks/zoom/model';

export interface ChaosDayOptions {
  seed: string;
  engagements: number;
  /** Every engagement ends before this (ms), and starts within `spanMs` before it. */
  endBefore: number;
  spanMs?: number;
}

/** Recordings are small so a 2 000-engagement run stays in memory and quick; the crash targets need ≥ 2 × 64 KiB. */
export const RECORDING_BYTES = { min: 32 * 1024, max: 384 * 1024 };
export const VOICEMAIL_BYTES = { min: 16 * 1024, max: 256 * 1024 };
const MAX_DURATION_S = 300;

export function generateChaosDay(options: ChaosDayOptions): MockEngagement[] {
  const rnd = seededRandom(`chaos:${options.seed}`);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const between = (min: number, max: number) => Math.floor(min + rnd() * (max - min + 1));
  const iso = (ms: number) => new Date(ms).toISOString();
  const spanMs = options.spanMs ?? 15 * 60_000;
  // Whole seconds, as Zoom's times are.
  const first = Math.floor((options.endBefore - spanMs - MAX_DURATION_S * 1000) / 1000) * 1000;
  const out: MockEngagement[] = [];
  for (let n = 0; n < options.engagements; n++) {
    const id = `eng-chaos-${String(n + 1).padStart(6, '0')}`;
    const start = first + Math.floor(((n / options.engagements) * spanMs) / 1000) * 1000;
    const end = start + between(60, MAX_DURATION_S) * 1000;
    const queue = pick(QUEUES);
    const agent = pick(AGENTS);
    const extra = rnd();
    const e: MockEngagement = {
      engagementId: id,
      channel: 'voice',
      direction: rnd() < 0.8 ? 'inbound' : 'outbound',
      queueId: queue.id,
      queueName: queue.name,
      agentId: agent.id,
      agentName: agent.name,
      consumerNumber: `+1555${String(between(1_000_000, 9_999_999))}`,
      startTime: iso(start),
      endTime: iso(end),
      recordings: [
        {
          recordingId: `rec-${id}-1`,
          bytes: between(RECORDING_BYTES.min, RECORDING_BYTES.max),
          contentType: 'audio/mpeg',
          startTime: iso(start),
          endTime: iso(end),
          durationSeconds: (end - start) / 1000,
          transcript: true,
        },
      ],
      notes: [],
      dispositions: [],
      voicemails: extra < 0.1 ? [{ messageId: `vm-${id}`, bytes: between(VOICEMAIL_BYTES.min, VOICEMAIL_BYTES.max), at: iso(end), transcript: true }] : [],
      messagingTranscript: extra >= 0.1 && extra < 0.2,
    };
    const notes = between(1, 3);
    for (let i = 0; i < notes; i++) {
      // Whole seconds apart, so no two items of an engagement share an event time.
      const at = start + Math.floor(((i + 1) * (end - start)) / (notes + 1) / 1000) * 1000;
      e.notes.push({ noteId: `note-${id}-${i + 1}`, note: pick(NOTES), userId: agent.id, userName: agent.name, createdTime: iso(at) });
    }
    e.dispositions.push({ ...disposition(pick(DISPOSITIONS)), userId: agent.id, at: iso(end - 5000) });
    if (rnd() < 0.3) {
      const other = pick(AGENTS.filter((a) => a.id !== agent.id));
      e.dispositions.push({ ...disposition(pick(DISPOSITIONS)), userId: other.id, at: iso(end - 1000) });
    }
    out.push(e);
  }
  return out;
}

function disposition(d: { id: string; name: string }): { dispositionId: string; dispositionName: string } {
  return { dispositionId: d.id, dispositionName: d.name };
}

/** The disposition that must end up on the record: the latest one. */
export function finalDisposition(e: MockEngagement): MockEngagement['dispositions'][number] | undefined {
  return [...e.dispositions].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).at(-1);
}
