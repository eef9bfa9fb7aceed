/** How the HTTP benches read a row's throughput against issue #15's target. */
import { fmt, type Measured } from './_http-bench';

/**
 * A row's throughput against the issue #15 target (≥ 50 % of a bare function at saturation), read
 * as decided there: against the bare function as the Functions Framework ships it (`stockBare`,
 * the baseline the target was set with), and beside it against a bare function on the server as
 * deployed (`bare`, which gains from the server changes as much as the function) with what the
 * function's own CPU allows and what its durable calls alone reach (`floor`, ./_floor-function.ts).
 */
export function throughputVerdict(
  r: Measured,
  against: { bare?: Measured | undefined; stockBare?: Measured | undefined; floor?: Measured | undefined },
): string {
  const rps = (m: Measured) => m.requests / m.seconds;
  const pct = (x: number) => `${fmt(x * 100, 0)} %`;
  const parts: string[] = [];
  if (against.stockBare) {
    const ratio = rps(r) / rps(against.stockBare);
    parts.push(`${pct(ratio)} of the bare function as the Framework ships (target ≥ 50 %: ${ratio >= 0.5 ? 'met' : 'NOT met'})`);
  }
  const { bare, floor } = against;
  if (bare) {
    const share = `${pct(rps(r) / rps(bare))} of a bare function on the deployed server`;
    if (floor === r) parts.push(`${share} — the bound for any implementation making these calls`);
    else {
      const beside = [
        `its own CPU allows ${pct(bare.fnCpuUs / r.fnCpuUs)}`,
        ...(floor ? [`its durable calls alone reach ${pct(rps(floor) / rps(bare))}`] : []),
      ];
      parts.push(`${share} (${beside.join('; ')})`);
    }
  }
  return parts.length > 0 ? parts.join('; ') : 'not compared (no bare row in this run)';
}
