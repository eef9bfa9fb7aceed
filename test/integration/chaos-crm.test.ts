/**
 * The 200-engagement chaos run with a real adapter: the crm function in real mode before the
 * Salesforce fake, which injects 500s, 429s with Retry-After and answers lost after the write
 * was applied, on top of every pipeline fault of the mock-mode run. The checks read the fake's
 * own tables: one Case per engagement, one CaseComment per note, one link per artifact, the
 * final disposition on the call log — no loss, no duplicate (`npm run chaos -- --crm
 * salesforce --engagements 200 --seed npm-test-sf` replays the same day and faults).
 */
import { formatChaosReport } from '../../scripts/chaos/report';
import { type ChaosReport, runChaos } from '../../scripts/chaos/run';
import { DEFAULT_RATES } from '../../scripts/chaos/options';

let report: ChaosReport;

beforeAll(async () => {
  report = await runChaos({
    engagements: 200,
    seed: 'npm-test-sf',
    rates: DEFAULT_RATES,
    ratePerSecond: 25,
    maxDeliveryAttempts: 10,
    timeoutSeconds: 420,
    crm: 'salesforce',
    crmLost: 0.02,
  });
}, 480_000);

describe('chaos with a real adapter: 200 engagements, the crm function in front of the Salesforce fake', () => {
  test('no loss, no duplicate in the fake’s own state', () => {
    const failed = report.rows.filter((r) => r.problems.length > 0);
    if (failed.length > 0 || report.incidents.length > 0) process.stderr.write(`${formatChaosReport(report)}\n`);
    expect(report.incidents).toEqual([]);
    expect(failed.map((r) => ({ check: r.check, problems: r.problems.slice(0, 5) }))).toEqual([]);
    expect(report.ok).toBe(true);
  });

  test('the fake injected every CRM fault: 500s, 429s and answers lost after the write', () => {
    const f = report.figures.faults;
    expect({ s500: f.crm500 > 0, s429: f.crm429 > 0, lost: (f.crmLost ?? 0) > 0 }).toEqual({ s500: true, s429: true, lost: true });
  });
});
