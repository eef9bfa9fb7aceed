/**
 * The chaos run's verdict: what Zoom has (the mock's engagements and file digests) against
 * what the pipeline left in Cloud Storage, the CRM, the ledger and the dead-letter topic.
 * Each check is one row — how many things it expected, how many were right, and a line per
 * problem. Any problem is a loss, a duplicate or a disagreement: the run fails.
 */
import { createHash } from 'node:crypto';
import { type MockEngagement, zoomFilePath } from '../../local/mocks/zoom';
import type { StoredObjectSummary } from '../../local/storage';
import type { LedgerDoc } from '../../shared/zoom/ledger';
import type { PipelineState } from '../demo/pipeline-state';
import { finalDisposition } from './day';
import {
  expectedArtifactKey as artifactKey,
  type ExpectedArtifactKind as ArtifactKind,
  expectedCrmKey,
  expectedDispositionKey,
  expectedNoteKey,
  expectedObjectName,
  expectedWorkOf,
} from './layout';

export interface CheckRow {
  check: string;
  expected: number;
  ok: number;
  problems: string[];
}

export interface ExpectedArtifact {
  engagementId: string;
  kind: ArtifactKind;
  key: string;
  /** Object name in the archive bucket. */
  object: string;
  /** Path of the file at Zoom (the mock). */
  file: string;
  bytes: number;
  sha256: string;
}

export interface ExpectedItem {
  engagementId: string;
  kind: 'note' | 'disposition';
  key: string;
  eventTs: number;
  /** Note text, or disposition name. */
  text: string;
}

export interface Expectation {
  engagements: MockEngagement[];
  artifacts: ExpectedArtifact[];
  items: ExpectedItem[];
}

/**
 * What Zoom's files and events oblige the pipeline to hold, derived from the mock and the
 * documented layout (./layout: never the product's own path and key functions).
 */
export function expectationOf(day: MockEngagement[], zoom: { fileDigest(path: string): { sha256: string; bytes: number } }, prefix = 'zoom'): Expectation {
  const artifacts: ExpectedArtifact[] = [];
  const items: ExpectedItem[] = [];
  for (const e of day) {
    const add = (kind: ArtifactKind, sourceId: string | undefined, time: string, file: string) => {
      const key = artifactKey(kind, sourceId);
      const digest = zoom.fileDigest(file);
      artifacts.push({
        engagementId: e.engagementId,
        kind,
        key,
        object: expectedObjectName({ prefix, engagementId: e.engagementId, time, key, kind }),
        file,
        ...digest,
      });
    };
    for (const r of e.recordings) {
      add('recording', r.recordingId, r.startTime, zoomFilePath('recordings', r.recordingId));
      if (r.transcript) add('recording_transcript', r.recordingId, r.startTime, zoomFilePath('recording-transcripts', r.recordingId));
    }
    for (const v of e.voicemails) {
      add('voicemail', v.messageId, v.at, zoomFilePath('voicemails', v.messageId));
      if (v.transcript) add('voicemail_transcript', v.messageId, v.at, zoomFilePath('voicemail-transcripts', v.messageId));
    }
    if (e.messagingTranscript) add('messaging_transcript', undefined, e.startTime, zoomFilePath('messaging-transcripts', e.engagementId));
    // One item per key: the same note text or disposition set twice is one item (docs/contracts/zoom.md).
    const keys = new Set<string>();
    const item = (i: ExpectedItem) => {
      if (keys.has(i.key)) return;
      keys.add(i.key);
      items.push(i);
    };
    for (const n of e.notes) {
      const ts = Date.parse(n.createdTime);
      item({ engagementId: e.engagementId, kind: 'note', key: expectedNoteKey(n.note), eventTs: ts, text: n.note });
    }
    for (const d of e.dispositions) {
      item({
        engagementId: e.engagementId,
        kind: 'disposition',
        key: expectedDispositionKey(d.dispositionId),
        eventTs: Date.parse(d.at),
        text: d.dispositionName,
      });
    }
  }
  return { engagements: day, artifacts, items };
}

export interface CheckInput {
  expectation: Expectation;
  /** Every object in the archive bucket. */
  objects: StoredObjectSummary[];
  /** The bytes of an object, read back through the storage client. */
  readObject(name: string): Promise<Buffer>;
  state: PipelineState;
  /** The durable link the worker must have given the CRM for an artifact. */
  linkFor(engagementId: string, key: string): string;
  /** Opens a link as an agent would (following the redirect) and returns the bytes, or throws. */
  openLink(url: string): Promise<Buffer>;
  /** How many links to open (a sample, spread over the day). */
  linksToOpen: number;
  /** Data of the messages on the dead-letter topic. */
  deadLetters: unknown[];
  /** Worker process exits the run did not cause. */
  unexpectedExits: string[];
  /** Totals of the second reconciliation over the same window. */
  secondReconcile: { backfilled: number; failed: number } | undefined;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function runChecks(input: CheckInput): Promise<CheckRow[]> {
  const { expectation: x, state } = input;
  const rows: CheckRow[] = [];
  const row = (check: string, expected: number): CheckRow => {
    const r = { check, expected, ok: 0, problems: [] };
    rows.push(r);
    return r;
  };

  // --- Cloud Storage ---
  const objects = new Map(input.objects.map((o) => [o.name, o]));
  const expectedObjects = new Set(x.artifacts.map((a) => a.object));
  const stored = row('storage: every artifact stored, checksum = Zoom file', x.artifacts.length);
  await inParallel(x.artifacts, 8, async (a) => {
    const o = objects.get(a.object);
    if (!o) return void stored.problems.push(`missing ${a.object}`);
    if (o.size !== a.bytes) return void stored.problems.push(`${a.object}: ${o.size} bytes, Zoom's file has ${a.bytes}`);
    const digest = sha256(await input.readObject(a.object));
    if (digest !== a.sha256) return void stored.problems.push(`${a.object}: sha256 ${digest.slice(0, 12)}…, Zoom's file ${a.sha256.slice(0, 12)}…`);
    stored.ok++;
  });
  const extraObjects = row('storage: no object beyond them (each stored once)', 0);
  for (const o of input.objects) if (!expectedObjects.has(o.name)) extraObjects.problems.push(`unexpected object ${o.name} (${o.size} bytes)`);

  // --- CRM ---
  const recordsBySession = groupBy(state.crm.records, (r) => r.sessionId);
  const recordOf = new Map<string, string>();
  const records = row('CRM: one record per engagement', x.engagements.length);
  for (const e of x.engagements) {
    const found = recordsBySession.get(e.engagementId) ?? [];
    if (found.length === 1) {
      records.ok++;
      recordOf.set(e.engagementId, found[0]!.id);
    } else records.problems.push(`${e.engagementId}: ${found.length} records`);
  }
  const sessions = new Set(x.engagements.map((e) => e.engagementId));
  for (const r of state.crm.records) if (!sessions.has(r.sessionId)) records.problems.push(`record ${r.id} for unknown session ${r.sessionId}`);

  const commentsByRecord = groupBy(state.crm.comments, (c) => c.recordId);
  const notes = x.items.filter((i) => i.kind === 'note');
  const comments = row('CRM: exactly one comment per note', notes.length);
  const matchedComments = new Set<string>();
  for (const n of notes) {
    const onRecord = commentsByRecord.get(recordOf.get(n.engagementId) ?? '') ?? [];
    const mine = onRecord.filter((c) => c.idempotencyKey === expectedCrmKey(n.engagementId, n.key));
    for (const c of mine) matchedComments.add(c.id);
    if (mine.length !== 1) comments.problems.push(`${n.engagementId} ${n.key}: ${mine.length} comments`);
    else if (mine[0]!.body !== n.text) comments.problems.push(`${n.engagementId} ${n.key}: comment says "${mine[0]!.body}", the note "${n.text}"`);
    else comments.ok++;
  }
  const extraComments = row('CRM: no comment beyond the notes', 0);
  for (const c of state.crm.comments)
    if (!matchedComments.has(c.id)) extraComments.problems.push(`comment ${c.id} on ${c.recordId} (key ${c.idempotencyKey ?? 'none'}): "${c.body}"`);

  const withDisposition = x.engagements.filter((e) => e.dispositions.length > 0);
  const dispositions = row('CRM: the final disposition on each record', withDisposition.length);
  const recordById = new Map(state.crm.records.map((r) => [r.id, r]));
  for (const e of withDisposition) {
    const final = finalDisposition(e)!;
    const record = recordById.get(recordOf.get(e.engagementId) ?? '');
    if (record?.disposition === final.dispositionName) dispositions.ok++;
    else
      dispositions.problems.push(
        `${e.engagementId}: record shows ${JSON.stringify(record?.disposition ?? null)}, the last disposition is ` +
          `"${final.dispositionName}"${e.dispositions.length > 1 ? ` (after "${e.dispositions[0]!.dispositionName}")` : ''}`,
      );
  }

  const attachmentsByRecord = groupBy(state.crm.attachments, (a) => a.recordId);
  const links = row('CRM: one durable link per artifact', x.artifacts.length);
  const matchedAttachments = new Set<string>();
  for (const a of x.artifacts) {
    const onRecord = attachmentsByRecord.get(recordOf.get(a.engagementId) ?? '') ?? [];
    const mine = onRecord.filter((t) => t.idempotencyKey === expectedCrmKey(a.engagementId, a.key));
    for (const t of mine) matchedAttachments.add(t.id);
    const want = input.linkFor(a.engagementId, a.key);
    if (mine.length !== 1) links.problems.push(`${a.engagementId} ${a.key}: ${mine.length} attachments`);
    else if (mine[0]!.url !== want) links.problems.push(`${a.engagementId} ${a.key}: link ${mine[0]!.url ?? '(none)'} is not the durable link`);
    else links.ok++;
  }
  const extraAttachments = row('CRM: no attachment beyond the artifacts', 0);
  for (const t of state.crm.attachments)
    if (!matchedAttachments.has(t.id)) extraAttachments.problems.push(`attachment ${t.id} on ${t.recordId}: ${t.fileName} ${t.url ?? ''}`);

  const sample = spread(x.artifacts, input.linksToOpen);
  const opened = row('CRM links open the stored file (sample)', sample.length);
  await inParallel(sample, 4, async (a) => {
    try {
      const digest = sha256(await input.openLink(input.linkFor(a.engagementId, a.key)));
      if (digest === a.sha256) opened.ok++;
      else opened.problems.push(`${a.engagementId} ${a.key}: the link serves other bytes`);
    } catch (err) {
      opened.problems.push(`${a.engagementId} ${a.key}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });

  // --- Ledger ---
  const ledgers = new Map(state.ledgers.map((l) => [l.engagementId, l]));
  const artifactsOf = groupBy(x.artifacts, (a) => a.engagementId);
  const itemsOf = groupBy(x.items, (i) => i.engagementId);
  const ledger = row('ledger: agrees with Zoom, storage and the CRM', x.engagements.length);
  for (const e of x.engagements) {
    const problems = ledgerProblems(
      e,
      ledgers.get(e.engagementId),
      artifactsOf.get(e.engagementId) ?? [],
      itemsOf.get(e.engagementId) ?? [],
      objects,
      recordOf.get(e.engagementId),
    );
    if (problems.length === 0) ledger.ok++;
    else ledger.problems.push(...problems.map((p) => `${e.engagementId}: ${p}`));
  }
  for (const l of state.ledgers) if (!sessions.has(l.engagementId)) ledger.problems.push(`ledger of unknown engagement ${l.engagementId}`);

  // --- Dead letters, processes, reconciliation ---
  const dead = row('dead-letter topic: each entry accounted for', input.deadLetters.length);
  for (const data of input.deadLetters) {
    const verdict = deadLetterVerdict(data, ledgers);
    if (verdict.accounted) dead.ok++;
    else dead.problems.push(verdict.why);
  }
  const exits = row('worker: no process exit but the injected crashes', 0);
  exits.problems.push(...input.unexpectedExits.map((e) => `worker process ended on its own: ${e}`));
  if (input.secondReconcile) {
    const again = row('reconciliation again: nothing left to backfill', 1);
    if (input.secondReconcile.backfilled === 0 && input.secondReconcile.failed === 0) again.ok++;
    else again.problems.push(`a second run backfilled ${input.secondReconcile.backfilled} and failed ${input.secondReconcile.failed}`);
  }
  for (const r of rows) r.problems.sort();
  return rows;
}

/**
 * How far the CRM's order is from Zoom's — not a loss, so not a check: a note that reaches
 * the worker after a later note of its engagement was written is written late (after it),
 * and a disposition older than the one applied is superseded (see the worker's README).
 */
/** Entries the worker gave up on when a message's deliveries ran out (the ledger keeps the mark after the reconciliation's retry). */
export function givenUp(state: PipelineState): number {
  return state.ledgers.reduce((n, l) => n + [...Object.values(l.artifacts), ...Object.values(l.items)].filter((e) => e.gaveUp === true).length, 0);
}

export function orderFigures(x: Expectation, state: PipelineState): { lateNotes: number; supersededDispositions: number } {
  const noteTs = new Map(x.items.filter((i) => i.kind === 'note').map((i) => [expectedCrmKey(i.engagementId, i.key), i.eventTs]));
  let lateNotes = 0;
  for (const comments of groupBy(state.crm.comments, (c) => c.recordId).values()) {
    // In the order the CRM got them, a note is late when an earlier-written one is younger.
    const times = comments
      .filter((c) => c.createdAt !== undefined)
      .sort((a, b) => a.createdAt!.getTime() - b.createdAt!.getTime())
      .map((c) => noteTs.get(c.idempotencyKey ?? '') ?? 0);
    let newest = Number.NEGATIVE_INFINITY;
    for (const t of times) {
      if (t < newest) lateNotes++;
      newest = Math.max(newest, t);
    }
  }
  const supersededDispositions = state.ledgers.reduce(
    (n, l) => n + Object.values(l.items).filter((i) => i.kind === 'disposition' && i.state === 'superseded').length,
    0,
  );
  return { lateNotes, supersededDispositions };
}

function ledgerProblems(
  e: MockEngagement,
  doc: LedgerDoc | undefined,
  artifacts: ExpectedArtifact[],
  items: ExpectedItem[],
  objects: Map<string, StoredObjectSummary>,
  recordId: string | undefined,
): string[] {
  if (!doc) return ['no ledger document'];
  const out: string[] = [];
  if (doc.state !== 'complete') out.push(`state ${doc.state}`);
  if (recordId !== undefined && doc.crmRecordId !== recordId) out.push(`crmRecordId ${doc.crmRecordId ?? '(none)'}, the CRM's record is ${recordId}`);
  for (const a of artifacts) {
    const entry = doc.artifacts[a.key];
    const o = objects.get(a.object);
    if (!entry) out.push(`${a.key}: not in the ledger`);
    else if (entry.state !== 'linked') out.push(`${a.key}: ${entry.state}${entry.reason ? ` (${entry.reason})` : ''}`);
    else if (entry.path !== a.object) out.push(`${a.key}: ledger path ${entry.path}, expected ${a.object}`);
    else if (o && (entry.bytes !== o.size || entry.generation !== o.generation))
      out.push(`${a.key}: ledger says ${entry.bytes} bytes generation ${entry.generation}, storage ${o.size} bytes generation ${o.generation}`);
  }
  const final = finalDisposition(e);
  const finalKey = final ? expectedDispositionKey(final.dispositionId) : undefined;
  for (const i of items) {
    const entry = doc.items[i.key];
    if (!entry) out.push(`${i.key}: not in the ledger`);
    else if (i.key === finalKey || i.kind === 'note') {
      if (entry.state !== 'written') out.push(`${i.key}: ${entry.state}${entry.reason ? ` (${entry.reason})` : ''}`);
    } else if (entry.state !== 'written' && entry.state !== 'superseded') out.push(`${i.key}: ${entry.state}${entry.reason ? ` (${entry.reason})` : ''}`);
  }
  // The record's call result is the final disposition's (checked in the CRM); the ledger's
  // dispositionTs is the time of the entry that applied it: Zoom's event time, or — when the
  // reconciliation backfilled it — the time it was given then (Zoom's listing has none).
  const applied = finalKey ? doc.items[finalKey] : undefined;
  if (final && (applied?.eventTs === undefined || doc.dispositionTs !== applied.eventTs))
    out.push(`dispositionTs ${doc.dispositionTs ?? '(none)'}, the final disposition's entry has ${applied?.eventTs ?? '(none)'}`);
  const known = new Set([...artifacts.map((a) => a.key), ...items.map((i) => i.key)]);
  for (const k of [...Object.keys(doc.artifacts), ...Object.keys(doc.items)]) if (!known.has(k)) out.push(`${k}: an entry Zoom has no counterpart for`);
  return out;
}

/**
 * A dead-lettered message is accounted for when the ledger records a permanent failure of
 * its work (the worker gave up for a reason), or when that work has been done since (by a
 * redelivered duplicate or the reconciliation). Otherwise it is work nobody did.
 */
export function deadLetterVerdict(data: unknown, ledgers: Map<string, LedgerDoc>): { accounted: boolean; why: string } {
  const work = expectedWorkOf(data);
  if (work === 'unreadable') return { accounted: false, why: `unreadable message: ${JSON.stringify(data).slice(0, 120)}` };
  if (work === 'no work') return { accounted: true, why: 'an event with no work of ours, or without a field its work needs (a permanent failure)' };
  const doc = ledgers.get(work.engagementId);
  const what = `${work.event} of ${work.engagementId}`;
  if (!doc) return { accounted: false, why: `${what}: no ledger` };
  const states = work.keys.map((k) => doc.artifacts[k]?.state ?? doc.items[k]?.state);
  if (states.some((s) => s === 'failed')) return { accounted: true, why: `${what}: a permanent failure the ledger records` };
  if (states.every((s) => s === 'linked' || s === 'written' || s === 'superseded')) return { accounted: true, why: `${what}: done since` };
  return { accounted: false, why: `${what}: dead-lettered, its work is ${states.map((s) => s ?? 'absent').join(', ')}` };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = out.get(k);
    if (list) list.push(t);
    else out.set(k, [t]);
  }
  return out;
}

/** `n` items spread evenly over the list. */
function spread<T>(items: T[], n: number): T[] {
  if (n >= items.length) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}

async function inParallel<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}
