/**
 * A large recording streamed from the Zoom mock into the Storage emulator through the real
 * clients, in constant memory: peak RSS growth stays under 64 MiB whatever the size, and the
 * stored bytes are exactly what Zoom served. The default suite streams 256 MiB (about 3 s
 * here; 1 GiB takes ~15-20 s alone and more on a loaded 2-core CI machine); set
 * ZOOM_STREAM_TEST_MIB=1024 to run the full size — `npm run bench -- transfer` always does.
 */
import { startTransferRig, type TransferRig } from '../../bench/_zoom-transfer';

const MIB = Number(process.env['ZOOM_STREAM_TEST_MIB'] ?? 256);

let rig: TransferRig;
beforeAll(async () => {
  rig = await startTransferRig();
});
afterAll(() => rig?.stop());

test(`a ${MIB} MiB recording streams into Cloud Storage with < 64 MiB RSS growth and an identical checksum`, async () => {
  const url = rig.addRecording('large-recording', MIB * 1024 * 1024);
  const measured = await rig.transfer(url, 'zoom/large-recording.mp3');
  expect(measured.bytes).toBe(MIB * 1024 * 1024);
  expect(measured.peakRssGrowthBytes).toBeLessThan(64 * 1024 * 1024);
  expect(await rig.sha256Of('zoom/large-recording.mp3')).toBe(rig.zoom.fileDigest(url).sha256);
  const [stored] = rig.storage.listAll().filter((o) => o.name === 'zoom/large-recording.mp3');
  expect(stored).toMatchObject({ size: MIB * 1024 * 1024, contentType: 'audio/mpeg', metadata: { sourceBytes: String(MIB * 1024 * 1024) } });
}, 120_000);
