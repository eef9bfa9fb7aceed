/**
 * The command line of `npm run chaos`, read once; every bad value is reported at once.
 * Rates are shares (0.15) or percentages (15%); defaults are issue 8's.
 */

import { CHAOS_CRMS, type ChaosCrmKind } from './crm-fakes';

export class ChaosOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid options:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ChaosOptionsError';
  }
}

/** Each fault's rate, as a share of what it applies to (see RATE_HELP). */
export interface FaultRates {
  drop: number;
  duplicate: number;
  delay: number;
  storage503: number;
  crm500: number;
  crm429: number;
  zoom429: number;
  notReady: number;
  truncate: number;
  crash: number;
}

export interface ChaosOptions {
  engagements: number;
  seed: string;
  rates: FaultRates;
  /** Webhook events Zoom sends per second (0: as fast as the receiver answers). */
  ratePerSecond: number;
  /** Deliveries of a message to the worker before it is dead-lettered (Terraform: 10 by default, 5 at least). */
  maxDeliveryAttempts: number;
  /** Upper bound of the whole run (delivery, drains, reconciliation), in seconds. */
  timeoutSeconds: number;
  /** The crm function in real mode against this CRM's fake (faults injected in the fake); the mock when absent. */
  crm?: ChaosCrmKind | undefined;
  /** With --crm: share of writes the fake applies and then answers nothing (a lost response). */
  crmLost?: number;
}

export const DEFAULT_RATES: FaultRates = {
  drop: 0.15,
  duplicate: 0.1,
  delay: 0.05,
  storage503: 0.05,
  crm500: 0.05,
  crm429: 0.02,
  zoom429: 0.03,
  notReady: 0.05,
  truncate: 0.01,
  crash: 0.01,
};

/** Option name → rate key, and what the rate is a share of. */
export const RATE_OPTIONS: Record<string, { key: keyof FaultRates; help: string }> = {
  drop: { key: 'drop', help: 'webhook events Zoom never delivers' },
  duplicate: { key: 'duplicate', help: 'webhook events delivered twice (re-signed, new download tokens)' },
  delay: { key: 'delay', help: 'webhook events delivered 0.5–8 s late, so out of order' },
  'storage-503': { key: 'storage503', help: 'Cloud Storage requests answered 503' },
  'crm-500': { key: 'crm500', help: 'CRM calls answered 500' },
  'crm-429': { key: 'crm429', help: 'CRM calls answered 429' },
  'zoom-429': { key: 'zoom429', help: 'files whose first download is refused 429 (plus a few 429s on listings)' },
  'not-ready': { key: 'notReady', help: 'files not ready yet (404) for their first 1–3 downloads' },
  truncate: { key: 'truncate', help: 'files whose first download is cut off mid-body' },
  crash: { key: 'crash', help: 'uploads during which the worker process is SIGKILLed' },
};

export const USAGE = `npm run chaos -- [--engagements 2000] [--seed S] [--rate 25] [--max-attempts 10] [--<fault> RATE]... [--timeout SECONDS]
                      [--crm servicenow|salesforce|zendesk [--crm-lost RATE]]

  --crm          the crm function in real mode against that CRM's local fake, which injects
                 the CRM faults itself (--crm-500, --crm-429, and --crm-lost: writes applied
                 whose answer is lost, default 2 %); checks read the fake's own state

  --rate N       webhook events sent per second, in time order (0: as fast as answered);
                 the default keeps the worker up with the traffic on 2 cores, so late
                 events overtake their neighbours at the worker, not in a backlog
  --max-attempts deliveries of a message to the worker before it is dead-lettered
                 (production: 10 by default, 5 at least)

Faults (RATE as 0.05 or 5%):
${Object.entries(RATE_OPTIONS)
  .map(([name, { key, help }]) => `  --${name.padEnd(12)} ${help} (default ${DEFAULT_RATES[key] * 100} %)`)
  .join('\n')}`;

/** Reads `argv` (without node and the script). */
export function parseChaosArgs(argv: readonly string[]): ChaosOptions {
  const problems: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m) {
      problems.push(`unexpected argument ${arg}`);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) problems.push(`--${m[1]} needs a value`);
    else values.set(m[1]!, value);
  }
  const known = new Set(['engagements', 'seed', 'rate', 'max-attempts', 'timeout', 'crm', 'crm-lost', ...Object.keys(RATE_OPTIONS)]);
  for (const k of values.keys()) if (!known.has(k)) problems.push(`unknown option --${k}`);

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`--${name} must be an integer from ${min} to ${max}, got ${raw}`);
      return fallback;
    }
    return n;
  };
  const rates = { ...DEFAULT_RATES };
  for (const [name, { key }] of Object.entries(RATE_OPTIONS)) {
    const raw = values.get(name);
    if (raw === undefined) continue;
    const percent = raw.endsWith('%');
    const n = Number(percent ? raw.slice(0, -1) : raw) / (percent ? 100 : 1);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) problems.push(`--${name} must be a rate from 0 to 1 (or 0% to 100%), got ${raw}`);
    else rates[key] = n;
  }
  const crm = values.get('crm');
  if (crm !== undefined && !(CHAOS_CRMS as readonly string[]).includes(crm)) problems.push(`--crm must be one of ${CHAOS_CRMS.join(', ')}, got ${crm}`);
  const lostRaw = values.get('crm-lost');
  let crmLost = 0.02;
  if (lostRaw !== undefined) {
    const percent = lostRaw.endsWith('%');
    const n = Number(percent ? lostRaw.slice(0, -1) : lostRaw) / (percent ? 100 : 1);
    if (lostRaw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) problems.push(`--crm-lost must be a rate from 0 to 1 (or 0% to 100%), got ${lostRaw}`);
    else crmLost = n;
    if (crm === undefined) problems.push('--crm-lost needs --crm');
  }
  const seed = values.get('seed') ?? 'chaos';
  if (!/^[\w.-]{1,64}$/.test(seed)) problems.push(`--seed must be 1–64 letters, digits, '.', '_' or '-', got ${seed}`);
  const options: ChaosOptions = {
    engagements: int('engagements', 2000, 1, 50_000),
    seed,
    rates,
    ratePerSecond: int('rate', 25, 0, 10_000),
    maxDeliveryAttempts: int('max-attempts', 10, 5, 100),
    timeoutSeconds: int('timeout', 1800, 30, 86_400),
    ...(crm !== undefined ? { crm: crm as ChaosCrmKind, crmLost } : {}),
  };
  if (problems.length > 0) throw new ChaosOptionsError(problems);
  return options;
}
