/**
 * `npm run bench -- transfer [--mib=1024] [--runs=1]`: one recording of 1 GiB from the Zoom
 * mock into Cloud Storage (the Storage emulator) through the bundle's transfer (Zoom client,
 * byte-count check, resumable upload, MD5 validation), against a plain streamed copy between
 * the same two servers measured in the same run. Prints throughput, the ratio (target
 * ≥ 70 %) and the peak RSS growth of each (target ≤ 64 MiB for the bundle).
 */
import { startTransferRig } from './_zoom-transfer';

export default async function transferBench(args: string[]): Promise<void> {
  const option = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
  const mib = option('mib', 1024);
  const runs = Math.max(1, option('runs', 1));
  const bytes = mib * 1024 * 1024;
  const rig = await startTransferRig();
  try {
    const url = rig.addRecording('bench-recording', bytes);
    const rows: Array<{ run: number; path: string; seconds: number; mbps: number; rssMiB: number }> = [];
    for (let run = 1; run <= runs; run++) {
      // Alternate the order so neither side always runs on a warmer machine.
      const order = run % 2 === 1 ? (['plain', 'bundle'] as const) : (['bundle', 'plain'] as const);
      for (const which of order) {
        const target = `bench/${which}-${run}.mp3`;
        const m = which === 'plain' ? await rig.plainCopy(url, target) : await rig.transfer(url, target);
        if (m.bytes !== bytes) throw new Error(`${which} copied ${m.bytes} of ${bytes} bytes`);
        rows.push({ run, path: which, seconds: m.ms / 1000, mbps: bytes / m.ms / 1000, rssMiB: m.peakRssGrowthBytes / 2 ** 20 });
      }
      if (run === 1) {
        const expected = rig.zoom.fileDigest(url).sha256;
        const stored = await rig.sha256Of(`bench/bundle-${run}.mp3`);
        if (stored !== expected) throw new Error('stored object differs from what Zoom served');
      }
    }
    const mean = (path: string, f: (r: (typeof rows)[number]) => number) => {
      const xs = rows.filter((r) => r.path === path).map(f);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const max = (path: string) => Math.max(...rows.filter((r) => r.path === path).map((r) => r.rssMiB));
    const plain = mean('plain', (r) => r.mbps);
    const bundle = mean('bundle', (r) => r.mbps);
    console.log(`transfer: ${mib} MiB recording, Zoom mock → Storage emulator, ${runs} run(s), node ${process.version}`);
    console.table(
      rows.map((r) => ({
        run: r.run,
        path: r.path === 'plain' ? 'plain streamed copy (baseline)' : 'bundle transfer',
        seconds: r.seconds.toFixed(2),
        'MB/s': r.mbps.toFixed(1),
        'peak RSS growth MiB': r.rssMiB.toFixed(1),
      })),
    );
    console.table([
      { figure: 'throughput ratio bundle / plain', value: `${((bundle / plain) * 100).toFixed(0)} %`, target: '≥ 70 %', ok: bundle / plain >= 0.7 },
      { figure: 'bundle peak RSS growth', value: `${max('bundle').toFixed(1)} MiB`, target: '≤ 64 MiB', ok: max('bundle') <= 64 },
      { figure: 'stored object sha256 = served', value: 'yes', target: 'yes', ok: true },
    ]);
  } finally {
    await rig.stop();
  }
}
