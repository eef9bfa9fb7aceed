/**
 * The 1 000-request version of `npm run fuzz`: the local stack in its own process, every
 * HTTP endpoint sent hostile input, and the run's verdict — no 5xx, no crash, nothing
 * written by a refused request, every 4xx body naming its problem, no secret or unmasked
 * personal data in the logs. A fixed seed, so a failure here replays with
 * `npm run fuzz -- --seed 20261121 --case <n>`.
 */
import { readFunctionManifest } from '../../local/manifest';
import { CATEGORIES } from '../../scripts/fuzz/case';
import { formatViolation } from '../../scripts/fuzz/report';
import { type FuzzReport, runFuzz } from '../../scripts/fuzz/run';

const SEED = 20261121;
let report: FuzzReport;

beforeAll(async () => {
  // runFuzz stops the stack process it starts, whatever happens.
  report = await runFuzz({ requests: 1_000, seed: SEED, concurrency: 8 });
}, 120_000);

describe('fuzz: 1 000 hostile requests over the local stack', () => {
  test('no violations', () => {
    expect(report.violations.map((v) => formatViolation(v, SEED))).toEqual([]);
  });

  test('sent hostile input to every function of functions.json but operator (only health-checked), and every kind of it', () => {
    expect(report.requests).toBeGreaterThanOrEqual(1_000);
    const endpoints = report.rows.map((r) => r.endpoint);
    const fuzzed = readFunctionManifest()
      .map((f) => f.name)
      .filter((name) => name !== 'operator');
    for (const name of fuzzed) expect({ name, reached: endpoints.some((e) => e.startsWith(`${name} `)) }).toEqual({ name, reached: true });
    for (const fn of [
      'zoom-webhook POST /',
      'ui-connector POST /conversation-name',
      'crm POST /records',
      'reconcile POST /',
      'interaction-worker POST /',
      'ccaip-sdk POST /token',
      'ccaip-sdk POST /sign',
      'call-log POST /twilio/status',
    ]) {
      expect({ fn, reached: endpoints.some((e) => e.startsWith(fn)) }).toEqual({ fn, reached: true });
    }
    for (const category of CATEGORIES) expect(report.byCategory[category]).toBeGreaterThan(0);
    // Hostile input is mostly refused, and nothing is a server error.
    const total = (k: '2xx' | '4xx' | '5xx') => report.rows.reduce((s, r) => s + r.byClass[k], 0);
    expect(total('5xx')).toBe(0);
    expect(total('4xx')).toBeGreaterThan(total('2xx'));
  });
});
