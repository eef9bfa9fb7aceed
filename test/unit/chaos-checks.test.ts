/**
 * The chaos run's verdict on its own: a world where the pipeline did everything right passes
 * every check, and each kind of loss, duplicate or disagreement is caught by the check that
 * names it. Also the command line (issue 8's default rates, every bad value at once).
 */
import { createHash } from 'node:crypto';
import type { StoredObjectSummary } from '../../local/storage';
import { type CheckInput, type CheckRow, deadLetterVerdict, type Expectation, expectationOf, orderFigures, runChecks } from '../../scripts/chaos/checks';
import { finalDisposition, generateChaosDay } from '../../scripts/chaos/day';
import { ChaosOptionsError, DEFAULT_RATES, parseChaosArgs } from '../../scripts/chaos/options';
import type { PipelineState } from '../../scripts/demo/pipeline-state';
import type { LedgerDoc } from '../../shared/zoom/ledger';
import { dispositionItemKey } from '../../shared/zoom/item-keys';

const contentOf = (file: string) => Buffer.from(`bytes of ${file}`);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const zoom = { fileDigest: (file: string) => ({ sha256: sha(contentOf(file)), bytes: contentOf(file).length }) };
const linkFor = (e: string, k: string) => `http://bundle/zoom-webhook/artifacts/${e}/${k}?t=x`;

interface World {
  x: Expectation;
  objects: StoredObjectSummary[];
  blobs: Map<string, Buffer>;
  state: PipelineState;
  deadLetters: unknown[];
}

/** What a flawless run leaves behind for `engagements` generated engagements. */
function flawless(engagements = 4): World {
  const day = generateChaosDay({ seed: 'checks', engagements, endBefore: Date.parse('2026-11-21T12:00:00Z') });
  const x = expectationOf(day, zoom);
  const blobs = new Map<string, Buffer>();
  const objects: StoredObjectSummary[] = [];
  for (const a of x.artifacts) {
    const bytes = contentOf(a.file);
    blobs.set(a.object, bytes);
    objects.push({ bucket: 'archive', name: a.object, size: bytes.length, generation: '1', md5Hash: '', crc32c: '', metadata: {} });
  }
  const recordId = (e: string) => `REC-${e}`;
  const state: PipelineState = {
    eventKeys: [],
    ledgers: day.map((e): LedgerDoc => {
      const final = finalDisposition(e)!;
      const finalKey = dispositionItemKey({ disposition_id: final.dispositionId });
      const finalTs = x.items.find((i) => i.engagementId === e.engagementId && i.key === finalKey)!.eventTs;
      return {
        engagementId: e.engagementId,
        state: 'complete',
        crmRecordId: recordId(e.engagementId),
        dispositionTs: finalTs,
        artifacts: Object.fromEntries(
          x.artifacts
            .filter((a) => a.engagementId === e.engagementId)
            .map((a) => [a.key, { kind: a.kind, state: 'linked', path: a.object, bytes: a.bytes, generation: '1' }]),
        ),
        items: Object.fromEntries(
          x.items
            .filter((i) => i.engagementId === e.engagementId)
            .map((i) => [i.key, { kind: i.kind, state: i.kind === 'disposition' && i.key !== finalKey ? 'superseded' : 'written', eventTs: i.eventTs }]),
        ),
      };
    }),
    crm: {
      records: day.map((e) => ({ id: recordId(e.engagementId), sessionId: e.engagementId, disposition: finalDisposition(e)!.dispositionName })),
      comments: x.items
        .filter((i) => i.kind === 'note')
        .map((i, n) => ({
          id: `COM-${n}`,
          recordId: recordId(i.engagementId),
          body: i.text,
          idempotencyKey: `zoom:${i.engagementId}:${i.key}`,
          createdAt: new Date(i.eventTs),
        })),
      attachments: x.artifacts.map((a, n) => ({
        id: `ATT-${n}`,
        recordId: recordId(a.engagementId),
        fileName: a.key,
        url: linkFor(a.engagementId, a.key),
        idempotencyKey: `zoom:${a.engagementId}:${a.key}`,
      })),
    },
  };
  return { x, objects, blobs, state, deadLetters: [] };
}

function check(w: World, more: Partial<CheckInput> = {}): Promise<CheckRow[]> {
  return runChecks({
    expectation: w.x,
    objects: w.objects,
    readObject: async (name) => w.blobs.get(name) ?? Buffer.alloc(0),
    state: w.state,
    linkFor,
    openLink: async (url) => {
      const a = w.x.artifacts.find((t) => linkFor(t.engagementId, t.key) === url);
      return w.blobs.get(a?.object ?? '') ?? Buffer.alloc(0);
    },
    linksToOpen: 3,
    deadLetters: w.deadLetters,
    unexpectedExits: [],
    secondReconcile: { backfilled: 0, failed: 0 },
    ...more,
  });
}

const failing = (rows: CheckRow[]) => Object.fromEntries(rows.filter((r) => r.problems.length > 0).map((r) => [r.check, r.problems]));

describe('chaos checks', () => {
  it('pass a world where everything is stored, written and recorded once', async () => {
    const w = flawless();
    expect(w.x.engagements.every((e) => e.recordings.length === 1 && e.notes.length >= 1 && e.dispositions.length >= 1)).toBe(true);
    const rows = await check(w);
    expect(failing(rows)).toEqual({});
    expect(rows.find((r) => r.check.startsWith('storage: every'))!.ok).toBe(w.x.artifacts.length);
  });

  it('catch a missing object, a corrupted one, and an object stored twice (under another path)', async () => {
    const w = flawless();
    const [gone, bad, twice] = w.x.artifacts;
    w.objects = w.objects.filter((o) => o.name !== gone!.object);
    w.blobs.set(bad!.object, Buffer.from(`bytes of ${bad!.file}`.replace('b', 'B')));
    // The same artifact again under the epoch-dated path a delivery without a usable time would get.
    w.objects.push({ ...w.objects.find((o) => o.name === twice!.object)!, name: `zoom/1970/01/01/${twice!.engagementId}/${twice!.object.split('/').pop()}` });
    const f = failing(await check(w));
    expect(f['storage: every artifact stored, checksum = Zoom file']).toEqual(
      [
        `${bad!.object}: sha256 ${sha(w.blobs.get(bad!.object)!).slice(0, 12)}…, Zoom's file ` + `${bad!.sha256.slice(0, 12)}…`,
        `missing ${gone!.object}`,
      ].sort(),
    );
    expect(f['storage: no object beyond them (each stored once)']).toHaveLength(1);
    expect(f['ledger: agrees with Zoom, storage and the CRM']).toBeUndefined();
  });

  it('catch a note written twice (another key), a note never written, and a wrong final disposition', async () => {
    const w = flawless();
    const [first, second] = w.state.crm.comments;
    w.state.crm.comments = [...w.state.crm.comments.filter((c) => c !== second), { ...first!, id: 'COM-dup', idempotencyKey: 'zoom:other-key' }];
    const e = w.x.engagements.find((x) => x.dispositions.length === 2) ?? w.x.engagements[0]!;
    const record = w.state.crm.records.find((r) => r.sessionId === e.engagementId)!;
    record.disposition = 'Something else';
    const f = failing(await check(w));
    expect(f['CRM: exactly one comment per note']).toHaveLength(1);
    expect(f['CRM: no comment beyond the notes']).toEqual([expect.stringContaining('COM-dup')]);
    expect(f['CRM: the final disposition on each record']).toEqual([expect.stringContaining(`${e.engagementId}: record shows "Something else"`)]);
  });

  it('catch a duplicated link, a link that is not the durable one, and a missing record', async () => {
    const w = flawless();
    const [a0, a1] = w.state.crm.attachments;
    w.state.crm.attachments.push({ ...a0!, id: 'ATT-dup' });
    a1!.url = 'https://zoom.us/rec/download/abc';
    const lost = w.x.engagements.at(-1)!.engagementId;
    w.state.crm.records = w.state.crm.records.filter((r) => r.sessionId !== lost);
    const f = failing(await check(w));
    expect(f['CRM: one durable link per artifact']).toEqual(
      expect.arrayContaining([expect.stringContaining('2 attachments'), expect.stringContaining('is not the durable link')]),
    );
    expect(f['CRM: one record per engagement']).toEqual([`${lost}: 0 records`]);
  });

  it('catch a ledger that disagrees: open, an artifact not linked, a path or size other than storage, an entry Zoom has no counterpart for', async () => {
    const w = flawless();
    const [l0, l1, l2] = w.state.ledgers;
    l0!.state = 'open';
    const k1 = Object.keys(l1!.artifacts)[0]!;
    l1!.artifacts[k1] = { ...l1!.artifacts[k1]!, state: 'stored' };
    const k2 = Object.keys(l2!.artifacts)[0]!;
    l2!.artifacts[k2] = { ...l2!.artifacts[k2]!, bytes: 1 };
    l2!.items['note-ghost'] = { kind: 'note', state: 'written', eventTs: 1 };
    // dispositionTs not that of the entry holding the final disposition (an older one applied last).
    const l3 = w.state.ledgers[3]!;
    l3.dispositionTs = (l3.dispositionTs ?? 0) - 1;
    const problems = failing(await check(w))['ledger: agrees with Zoom, storage and the CRM']!;
    expect(problems).toEqual(
      expect.arrayContaining([
        `${l0!.engagementId}: state open`,
        `${l1!.engagementId}: ${k1}: stored`,
        expect.stringContaining(`${l2!.engagementId}: ${k2}: ledger says 1 bytes`),
        `${l2!.engagementId}: note-ghost: an entry Zoom has no counterpart for`,
        expect.stringContaining(`${l3.engagementId}: dispositionTs`),
      ]),
    );
  });

  it('account for a dead letter whose work failed for good or was done since, and flag one whose work nobody did', async () => {
    const w = flawless();
    const e = w.x.engagements[0]!;
    const a = w.x.artifacts.find((t) => t.engagementId === e.engagementId && t.kind === 'recording')!;
    const queued = {
      v: 1,
      key: 'k',
      source: 'webhook',
      receivedAt: '2026-11-21T12:00:00Z',
      envelope: {
        event: 'contact_center.recording_completed',
        event_ts: Date.parse(e.endTime),
        payload: {
          account_id: 'a',
          object: {
            recording_id: e.recordings[0]!.recordingId,
            engagement_id: e.engagementId,
            download_url: 'https://zoom.us/x',
            recording_start_time: e.startTime,
          },
        },
      },
    };
    const ledgers = new Map(w.state.ledgers.map((l) => [l.engagementId, l]));
    expect(deadLetterVerdict(queued, ledgers)).toMatchObject({ accounted: true, why: expect.stringMatching(/done since$/) });
    ledgers.get(e.engagementId)!.artifacts[a.key]!.state = 'failed';
    expect(deadLetterVerdict(queued, ledgers)).toMatchObject({ accounted: true, why: expect.stringMatching(/permanent failure/) });
    ledgers.get(e.engagementId)!.artifacts[a.key]!.state = 'pending';
    expect(deadLetterVerdict(queued, ledgers)).toMatchObject({ accounted: false, why: expect.stringMatching(/its work is pending/) });
    w.deadLetters = [queued];
    expect(failing(await check(w))['dead-letter topic: each entry accounted for']).toHaveLength(1);
  });

  it('fail a run whose worker exited on its own or whose second reconciliation found work', async () => {
    const f = failing(await check(flawless(), { unexpectedExits: ['pid 7: exit code 1'], secondReconcile: { backfilled: 2, failed: 0 } }));
    expect(Object.keys(f).sort()).toEqual(['reconciliation again: nothing left to backfill', 'worker: no process exit but the injected crashes']);
  });

  it('count late notes and superseded dispositions', () => {
    const w = flawless();
    expect(orderFigures(w.x, w.state)).toEqual({ lateNotes: 0, supersededDispositions: w.x.engagements.filter((e) => e.dispositions.length === 2).length });
    // The first note of an engagement with several reaches the CRM last: one late note.
    const e = w.x.engagements.find((x) => x.notes.length > 1)!;
    const firstNote = w.state.crm.comments.find((c) => c.idempotencyKey?.startsWith(`zoom:${e.engagementId}:`))!;
    firstNote.createdAt = new Date(Date.parse('2030-01-01T00:00:00Z'));
    expect(orderFigures(w.x, w.state).lateNotes).toBe(1);
  });
});

describe('chaos options', () => {
  it('defaults to 2 000 engagements and issue 8\u2019s fault rates', () => {
    const o = parseChaosArgs([]);
    expect(o).toMatchObject({ engagements: 2000, seed: 'chaos', ratePerSecond: 25, maxDeliveryAttempts: 10 });
    expect(o.rates).toEqual(DEFAULT_RATES);
    expect(DEFAULT_RATES).toMatchObject({ drop: 0.15, duplicate: 0.1, delay: 0.05, storage503: 0.05, crm500: 0.05, crm429: 0.02, crash: 0.01 });
  });

  it('takes rates as shares or percentages', () => {
    const o = parseChaosArgs(['--engagements', '200', '--seed=s7', '--crash', '5%', '--crm-500=0.2', '--rate', '0', '--max-attempts', '5']);
    expect(o).toMatchObject({ engagements: 200, seed: 's7', ratePerSecond: 0, maxDeliveryAttempts: 5 });
    expect(o.rates).toMatchObject({ crash: 0.05, crm500: 0.2, drop: 0.15 });
  });

  it('lists every bad value at once', () => {
    try {
      parseChaosArgs(['--engagements', '0', '--drop', '150%', '--nope', '1', 'stray', '--seed', 'a b']);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ChaosOptionsError);
      expect((err as ChaosOptionsError).problems).toEqual([
        'unexpected argument stray',
        'unknown option --nope',
        '--drop must be a rate from 0 to 1 (or 0% to 100%), got 150%',
        "--seed must be 1–64 letters, digits, '.', '_' or '-', got a b",
        '--engagements must be an integer from 1 to 50000, got 0',
      ]);
    }
  });
});
