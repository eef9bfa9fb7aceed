/**
 * The chaos checker expects paths and keys from the documented layout (scripts/chaos/layout.ts),
 * not from the product's own functions. Shown here: the worker's planning (planEvent) and its
 * path and key functions file a generated day; with the product as it is the checker passes,
 * and with a deliberately wrong path function or note key function swapped into the product
 * (module mocks: the checker would pick the swap up too if it imported them) it fails.
 */
import { createHash } from 'node:crypto';
import { jest } from '@jest/globals';
import type { StoredObjectSummary } from '../../local/storage';
import type { MockEngagement } from '../../local/mocks/zoom';
import type { PipelineState } from '../../scripts/demo/pipeline-state';
import type { LedgerDoc } from '../../shared/zoom/ledger';
import * as realArtifacts from '../../shared/zoom/artifacts';
import * as realItemKeys from '../../shared/zoom/item-keys';
import { ZOOM_CREDENTIALS } from '../support/zoom-fixture';

type Bug = 'none' | 'transcript extension' | 'note key';
let bug: Bug = 'none';

// The product's functions, with a bug switched on per test.
jest.unstable_mockModule('../../shared/zoom/artifacts', () => ({
  ...realArtifacts,
  artifactPath: (input: Parameters<typeof realArtifacts.artifactPath>[0]) => {
    const path = realArtifacts.artifactPath(input);
    return bug === 'transcript extension' ? path.replace(/\.vtt$/, '.txt') : path;
  },
}));
jest.unstable_mockModule('../../shared/zoom/item-keys', () => ({
  ...realItemKeys,
  noteItemKey: (note: { note?: string | undefined }) => {
    const key = realItemKeys.noteItemKey(note);
    return bug === 'note key' ? key.slice(0, -1) : key;
  },
}));

const { planEvent } = await import('../../functions/interaction-worker/plan');
const { artifactPath } = await import('../../shared/zoom/artifacts');
const { expectationOf, runChecks } = await import('../../scripts/chaos/checks');
const { finalDisposition, generateChaosDay } = await import('../../scripts/chaos/day');
const { startZoomMock } = await import('../../local/mocks/zoom');

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const contentOf = (file: string) => Buffer.from(`bytes of ${file}`);
const zoomFiles = { fileDigest: (file: string) => ({ sha256: sha(contentOf(file)), bytes: contentOf(file).length }) };

/** What the worker files for a day, computed by the product's planning and path/key functions (no checker code). */
async function filedByTheProduct(day: MockEngagement[]) {
  const zoom = await startZoomMock({ port: 0, ...ZOOM_CREDENTIALS });
  try {
    for (const e of day) zoom.addEngagement(e);
    const objects: StoredObjectSummary[] = [];
    const blobs = new Map<string, Buffer>();
    const state: PipelineState = { eventKeys: [], ledgers: [], crm: { records: [], comments: [], attachments: [] } };
    for (const e of day) {
      const recordId = `REC-${e.engagementId}`;
      const ledger: LedgerDoc = { engagementId: e.engagementId, state: 'complete', crmRecordId: recordId, artifacts: {}, items: {} };
      const final = finalDisposition(e);
      state.crm.records.push({ id: recordId, sessionId: e.engagementId, ...(final ? { disposition: final.dispositionName } : {}) });
      for (const envelope of zoom.eventsFor(e.engagementId)) {
        const plan = planEvent({ v: 1, key: 'k', source: 'webhook', receivedAt: new Date(envelope.event_ts).toISOString(), envelope } as Parameters<
          typeof planEvent
        >[0]);
        if (!plan) continue;
        for (const a of plan.artifacts) {
          const path = artifactPath({ engagementId: plan.engagementId, startTime: a.time, key: a.key, kind: a.kind });
          // The file at Zoom the download URL names (its path, without the query).
          const bytes = contentOf(new URL(a.url!).pathname);
          if (!blobs.has(path)) objects.push({ bucket: 'archive', name: path, size: bytes.length, generation: '1', md5Hash: '', crc32c: '', metadata: {} });
          blobs.set(path, bytes);
          ledger.artifacts[a.key] = { kind: a.kind, state: 'linked', path, bytes: bytes.length, generation: '1' };
          if (!state.crm.attachments.some((t) => t.idempotencyKey === `zoom:${e.engagementId}:${a.key}`)) {
            state.crm.attachments.push({
              id: `ATT-${a.key}`,
              recordId,
              fileName: a.key,
              url: `link:${e.engagementId}:${a.key}`,
              idempotencyKey: `zoom:${e.engagementId}:${a.key}`,
            });
          }
        }
        for (const i of plan.items) {
          const isFinal = i.kind === 'disposition' && i.value === final?.dispositionName;
          ledger.items[i.key] = { kind: i.kind, state: i.kind === 'disposition' && !isFinal ? 'superseded' : 'written', eventTs: i.eventTs };
          if (isFinal) ledger.dispositionTs = i.eventTs;
          if (i.kind === 'note' && !state.crm.comments.some((c) => c.idempotencyKey === `zoom:${e.engagementId}:${i.key}`)) {
            state.crm.comments.push({
              id: `COM-${i.key}`,
              recordId,
              body: i.body,
              idempotencyKey: `zoom:${e.engagementId}:${i.key}`,
              createdAt: new Date(i.eventTs),
            });
          }
        }
      }
      state.ledgers.push(ledger);
    }
    return { objects, blobs, state };
  } finally {
    await zoom.stop();
  }
}

async function verdict(): Promise<Record<string, string[]>> {
  const day = generateChaosDay({ seed: 'independent', engagements: 6, endBefore: Date.parse('2026-11-21T12:00:00Z') });
  expect(day.some((e) => e.recordings.some((r) => r.transcript)) && day.some((e) => e.notes.length > 0)).toBe(true);
  const filed = await filedByTheProduct(day);
  const rows = await runChecks({
    expectation: expectationOf(day, zoomFiles),
    objects: filed.objects,
    readObject: async (name) => filed.blobs.get(name) ?? Buffer.alloc(0),
    state: filed.state,
    linkFor: (e, k) => `link:${e}:${k}`,
    openLink: async () => Buffer.alloc(0),
    linksToOpen: 0,
    deadLetters: [],
    unexpectedExits: [],
    secondReconcile: undefined,
  });
  return Object.fromEntries(rows.filter((r) => r.problems.length > 0).map((r) => [r.check, r.problems]));
}

describe('chaos checker, independent of the product\u2019s path and key functions', () => {
  it('passes the day as the product files it', async () => {
    bug = 'none';
    expect(await verdict()).toEqual({});
  });

  it('catches a product path function that gives transcripts another extension', async () => {
    bug = 'transcript extension';
    const failed = await verdict();
    expect(failed['storage: every artifact stored, checksum = Zoom file']).toEqual(
      expect.arrayContaining([expect.stringMatching(/^missing zoom\/.*-transcript\.vtt$/)]),
    );
    expect(failed['storage: no object beyond them (each stored once)']).toEqual(
      expect.arrayContaining([expect.stringMatching(/^unexpected object zoom\/.*-transcript\.txt /)]),
    );
  });

  it('catches a product note key function that derives another key than the documented one', async () => {
    bug = 'note key';
    const failed = await verdict();
    expect(failed['CRM: exactly one comment per note']).toEqual(expect.arrayContaining([expect.stringMatching(/: 0 comments$/)]));
    expect(failed['ledger: agrees with Zoom, storage and the CRM']).toEqual(
      expect.arrayContaining([expect.stringMatching(/an entry Zoom has no counterpart for$/)]),
    );
  });
});
