/** What a case generator gets and gives. */
import type { LocalCredentials } from '../../../local/credentials';
import type { Env } from '../../../shared/config';
import type { Category, Expectation, HttpRequestSpec, Step, StepBuilder } from '../case';
import type { Rng } from '../rng';
import { LOCAL_OPERATOR } from '../../../local/operator-proxy';

/** The stack under test, as generators see it. */
export interface FuzzTarget {
  seed: number;
  credentials: LocalCredentials;
  /** The environment the functions were composed with. */
  env: Env;
  /** An ID token from the stack's OIDC issuer (Cloud Scheduler's, locally). */
  mintOidc(input: { audience: string; email: string; expiresInSeconds?: number; issuedAt?: number; issuer?: string }): Promise<string>;
  /** An `x-goog-iap-jwt-assertion` from the stack's IAP-like signer (artifact links require one). */
  mintIap(input: { audience: string; email: string; expiresInSeconds?: number; issuedAt?: number; issuer?: string }): Promise<string>;
  /** An end user's ID token from the stack's identity provider (what a host site's sign-in gives ccaip-sdk). */
  mintIdToken(input: { audience: string; claims: Record<string, unknown> & { sub: string }; expiresInSeconds?: number; issuedAt?: number }): Promise<string>;
}

export interface GenContext {
  /** The case's index, for values that must differ between cases (a caller's number). */
  index: number;
  rng: Rng;
  /** Put it into every value the case sends, so any write it causes is found again. */
  marker: string;
  target: FuzzTarget;
}

export interface Generator {
  /** e.g. "zoom-webhook/signature": shown with a violation, with the case index. */
  name: string;
  weight: number;
  build(ctx: GenContext): StepBuilder[];
}

export interface HttpStepInput {
  endpoint: string;
  category: Category;
  proves: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  expect: Expectation;
  pii?: string[];
  credentials?: string[];
}

export function httpStep(input: HttpStepInput): Step {
  const request: HttpRequestSpec = { transport: 'http', method: input.method, path: input.path, headers: input.headers ?? {} };
  if (input.body !== undefined) request.body = input.body;
  const step: Step = { endpoint: input.endpoint, category: input.category, proves: input.proves, request, expect: input.expect };
  if (input.pii) step.pii = input.pii;
  if (input.credentials) step.credentials = input.credentials;
  return step;
}

/** A refusal before anything is written: the common expectation of hostile requests. */
export const refused = (status?: number[]): Expectation => (status ? { outcome: 'rejected', status } : { outcome: 'rejected' });

/** Accounts the local front admits to each IAM-protected function (local/stack.ts invoker checks). */
const IAM_INVOKER_ENV: Record<string, string> = { reconcile: 'RECONCILE_INVOKERS' };
const IAM_INVOKER_FIXED: Record<string, string> = { 'interaction-worker': 'pubsub-push@ccbridge-local.iam.gserviceaccount.com', operator: LOCAL_OPERATOR };

/**
 * An invoker's ID token for a function behind Cloud Run's invoker check (reconcile,
 * interaction-worker, operator), so a case reaches the function's own routing; {} for public functions.
 */
export async function invokerHeaders(ctx: GenContext, fn: string): Promise<Record<string, string>> {
  const fromEnv = IAM_INVOKER_ENV[fn];
  const email = fromEnv ? ctx.target.env[fromEnv]?.split(',')[0]?.trim() : IAM_INVOKER_FIXED[fn];
  if (!email) return {};
  const token = await ctx.target.mintOidc({ audience: `${ctx.target.env['PUBLIC_BASE_URL'] ?? ''}/${fn}`, email });
  return { authorization: `Bearer ${token}` };
}
