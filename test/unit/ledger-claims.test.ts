/**
 * The ledger's registrations and the worker's claim on an item are conditioned on the ledger
 * document's version (DocStore.update with ifVersion), so two deliveries racing cannot both
 * believe they own an item, and a late registration cannot reset an entry's progress.
 */
import { createMemoryDocStore } from '../support/doubles/memory-docstore';
import type { DocStore } from '../../shared/ports/docstore';
import { createLedger } from '../../shared/zoom/ledger';

/** A store whose first `readers` reads all finish before any of them goes on to write (the worst interleaving). */
function lockstep(inner: DocStore, readers: number): DocStore {
  let waiting: Array<() => void> = [];
  let released = false;
  const barrier = () =>
    released
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length >= readers) {
            released = true;
            for (const r of waiting) r();
            waiting = [];
          }
        });
  return {
    ...inner,
    get: async (c, id) => {
      const d = await inner.get(c, id);
      await barrier();
      return d;
    },
    getVersioned: async (c, id) => {
      const d = await inner.getVersioned(c, id);
      await barrier();
      return d;
    },
    update: (c, id, data, o) => inner.update(c, id, data, o),
  };
}

const NOW = Date.parse('2026-11-20T10:00:00Z');

describe('ledger claims and registrations', () => {
  it('gives an item to exactly one of two deliveries claiming it at once', async () => {
    const base = createMemoryDocStore();
    await createLedger(base).open('E1', {});
    await createLedger(base).registerItem('E1', 'note:1', { kind: 'note', eventTs: 1 });
    const ledger = createLedger(lockstep(base, 2));
    const outcomes = await Promise.all(['delivery-a', 'delivery-b'].map((owner) => ledger.claimItem('E1', 'note:1', { owner, staleMs: 60_000, now: NOW })));
    expect(outcomes.sort()).toEqual(['claimed', 'taken']);
    const item = (await createLedger(base).get('E1'))!.items['note:1']!;
    expect(item.state).toBe('writing');
    expect(['delivery-a', 'delivery-b']).toContain(item.claimedBy);
  });

  it('lets a claim be taken over once it is stale, and says gone for a written item', async () => {
    const base = createMemoryDocStore();
    const ledger = createLedger(base);
    await ledger.open('E2', {});
    await ledger.registerItem('E2', 'note:1', { kind: 'note', eventTs: 1 });
    expect(await ledger.claimItem('E2', 'note:1', { owner: 'a', staleMs: 60_000, now: NOW })).toBe('claimed');
    expect(await ledger.claimItem('E2', 'note:1', { owner: 'a', staleMs: 60_000, now: NOW + 1 })).toBe('claimed');
    expect(await ledger.claimItem('E2', 'note:1', { owner: 'b', staleMs: 60_000, now: NOW + 1000 })).toBe('taken');
    expect(await ledger.claimItem('E2', 'note:1', { owner: 'b', staleMs: 60_000, now: NOW + 61_000 })).toBe('claimed');
    await ledger.updateItem('E2', 'note:1', { state: 'written' });
    expect(await ledger.claimItem('E2', 'note:1', { owner: 'c', staleMs: 60_000, now: NOW + 200_000 })).toBe('gone');
  });

  it('keeps a renewed claim from being taken over past its first lease; only its owner renews it, and only while writing', async () => {
    const ledger = createLedger(createMemoryDocStore());
    await ledger.open('E4', {});
    await ledger.registerItem('E4', 'note:1', { kind: 'note', eventTs: 1 });
    expect(await ledger.claimItem('E4', 'note:1', { owner: 'a', staleMs: 15_000, now: NOW })).toBe('claimed');
    expect(await ledger.renewClaim('E4', 'note:1', { owner: 'a', now: NOW + 10_000 })).toBe(true);
    expect(await ledger.renewClaim('E4', 'note:1', { owner: 'b', now: NOW + 10_000 })).toBe(false);
    // 20 s after the claim, 10 s after the renewal: still a's.
    expect(await ledger.claimItem('E4', 'note:1', { owner: 'b', staleMs: 15_000, now: NOW + 20_000 })).toBe('taken');
    // a stopped renewing (died): one lease after its last renewal, b takes it over, and a cannot renew it back.
    expect(await ledger.claimItem('E4', 'note:1', { owner: 'b', staleMs: 15_000, now: NOW + 25_000 })).toBe('claimed');
    expect(await ledger.renewClaim('E4', 'note:1', { owner: 'a', now: NOW + 26_000 })).toBe(false);
    await ledger.updateItem('E4', 'note:1', { state: 'written' });
    expect(await ledger.renewClaim('E4', 'note:1', { owner: 'b', now: NOW + 27_000 })).toBe(false);
    expect((await ledger.get('E4'))!.items['note:1']!.state).toBe('written');
  });

  it('does not let a racing first registration reset an artifact another delivery already moved on', async () => {
    const base = createMemoryDocStore();
    await createLedger(base).open('E3', {});
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let held = false;
    const hold = async <T>(read: Promise<T>) => {
      const value = await read;
      if (!held) {
        held = true;
        await gate;
      }
      return value;
    };
    // Delivery B reads the ledger (no entry yet) and stalls before writing.
    const slow: DocStore = { ...base, get: (c, id) => hold(base.get(c, id)), getVersioned: (c, id) => hold(base.getVersioned(c, id)) };
    const entry = { kind: 'recording' as const, path: 'E3/call.mp3', sourceId: 'rec-1' };
    const late = createLedger(slow).registerArtifact('E3', 'recording:rec-1', entry);
    await new Promise((r) => setImmediate(r));
    // Delivery A registers the artifact and stores it meanwhile.
    await createLedger(base).registerArtifact('E3', 'recording:rec-1', entry);
    await createLedger(base).updateArtifact('E3', 'recording:rec-1', { state: 'stored', attempts: 1 });
    release();
    expect((await late).state).toBe('stored');
    expect((await createLedger(base).get('E3'))!.artifacts['recording:rec-1']).toMatchObject({ state: 'stored', attempts: 1 });
  });

  describe("an artifact's CRM link", () => {
    const entry = { kind: 'recording' as const, path: 'E5/call.mp3', sourceId: 'rec-1' };
    const setup = async (base = createMemoryDocStore()) => {
      await createLedger(base).open('E5', {});
      await createLedger(base).registerArtifact('E5', 'recording:rec-1', entry);
      await createLedger(base).updateArtifact('E5', 'recording:rec-1', { state: 'stored' });
      return base;
    };

    it('is claimed by exactly one of two deliveries claiming it at once', async () => {
      const base = await setup();
      const ledger = createLedger(lockstep(base, 2));
      const outcomes = await Promise.all(
        ['delivery-a', 'delivery-b'].map((owner) => ledger.claimArtifactLink('E5', 'recording:rec-1', { owner, staleMs: 15_000, now: NOW })),
      );
      expect(outcomes.sort()).toEqual(['claimed', 'taken']);
      expect(['delivery-a', 'delivery-b']).toContain((await createLedger(base).get('E5'))!.artifacts['recording:rec-1']!.linkClaimedBy);
    });

    it('stays with a renewing owner, is taken over one lease after its last renewal, is free once released, and is gone once linked', async () => {
      const ledger = createLedger(await setup());
      const claim = (owner: string, now: number) => ledger.claimArtifactLink('E5', 'recording:rec-1', { owner, staleMs: 15_000, now });
      expect(await claim('a', NOW)).toBe('claimed');
      expect(await claim('a', NOW + 1)).toBe('claimed');
      expect(await ledger.renewArtifactLinkClaim('E5', 'recording:rec-1', { owner: 'a', now: NOW + 10_000 })).toBe(true);
      expect(await ledger.renewArtifactLinkClaim('E5', 'recording:rec-1', { owner: 'b', now: NOW + 10_000 })).toBe(false);
      expect(await claim('b', NOW + 20_000)).toBe('taken');
      expect(await claim('b', NOW + 25_000)).toBe('claimed');
      expect(await ledger.renewArtifactLinkClaim('E5', 'recording:rec-1', { owner: 'a', now: NOW + 26_000 })).toBe(false);
      await ledger.releaseArtifactLinkClaim('E5', 'recording:rec-1', 'a');
      expect(await claim('c', NOW + 26_000)).toBe('taken');
      await ledger.releaseArtifactLinkClaim('E5', 'recording:rec-1', 'b');
      expect((await ledger.get('E5'))!.artifacts['recording:rec-1']!.linkClaimedBy).toBeUndefined();
      expect(await claim('c', NOW + 26_000)).toBe('claimed');
      await ledger.updateArtifact('E5', 'recording:rec-1', { state: 'linked' });
      expect(await claim('d', NOW + 100_000)).toBe('gone');
      expect(await ledger.renewArtifactLinkClaim('E5', 'recording:rec-1', { owner: 'c', now: NOW + 100_000 })).toBe(false);
    });
  });
});
