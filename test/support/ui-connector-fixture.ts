/**
 * ui-connector on the real Functions Framework, on a loopback port, with in-memory ports:
 * a document store, an event bus and a Twilio account check whose calls are counted.
 * Also: Twilio signatures computed with Twilio's own helper library (`twilio` on npm), not
 * with the implementation, so the tests check the code against Twilio rather than itself.
 */
import { createHash } from 'node:crypto';
import twilio from 'twilio';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createMemoryDocStore, type MemoryDocStore } from './doubles/memory-docstore';
import { createMemoryEventBus, type MemoryEventBus } from './doubles/memory-eventbus';
import type { Env } from '../../shared/config';
import { AppError } from '../../shared/errors';
import { composeUiConnector } from '../../functions/ui-connector/compose';
import type { AccountVerifier } from '../../functions/ui-connector/twilio-accounts';
import { listen } from './http';

export const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const AUTH_TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
export const OTHER_ACCOUNT_SID = 'ACffffffffffffffffffffffffffffffff';
export const JWT_SECRET = 'test-ui-connector-signing-key-0123456789abcdef';
export const PROJECT = 'ccbridge-test';
export const PUBLIC_URL = 'https://europe-west1-ccbridge-test.cloudfunctions.net/ui-connector';

export function baseEnv(overrides: Env = {}): Env {
  return {
    GCP_PROJECT: PROJECT,
    LOG_LEVEL: 'debug',
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    UI_CONNECTOR_JWT_SECRET: JWT_SECRET,
    UI_CONNECTOR_PUBLIC_URL: PUBLIC_URL,
    UI_CONNECTOR_CORS_ORIGINS: 'https://acme.lightning.force.com',
    ...overrides,
  };
}

export interface UiConnectorUnderTest {
  url: string;
  docs: MemoryDocStore;
  bus: MemoryEventBus;
  logs: string[];
  accountChecks: Array<{ sid: string; token: string }>;
  /** Makes the account check answer this way next (default: compare with ACCOUNT_SID/AUTH_TOKEN). */
  accountsAnswer: { mode: 'real' | 'down' };
  clock: { now: Date };
  stop(): Promise<void>;
}

let counter = 0;

export async function startUiConnector(envOverrides: Env = {}, options: { port?: number } = {}): Promise<UiConnectorUnderTest> {
  const docs = createMemoryDocStore(() => clock.now);
  const bus = createMemoryEventBus();
  const logs: string[] = [];
  const accountChecks: Array<{ sid: string; token: string }> = [];
  const accountsAnswer: UiConnectorUnderTest['accountsAnswer'] = { mode: 'real' };
  const clock = { now: new Date('2026-11-21T10:00:00Z') };
  const accounts: AccountVerifier = {
    async verify(sid, token) {
      accountChecks.push({ sid, token });
      if (accountsAnswer.mode === 'down') {
        throw new AppError('upstream_unavailable', 503, 'the Twilio Accounts API did not answer in time; try again');
      }
      return sid === ACCOUNT_SID && token === AUTH_TOKEN ? 'valid' : 'invalid';
    },
  };
  const handler = composeUiConnector(baseEnv(envOverrides), { docs, bus, accounts }, { now: () => clock.now.getTime(), log: (l) => logs.push(l) });
  const name = `uiConnectorUnderTest${++counter}`;
  http(name, handler);
  const server = await listen(getTestServer(name), options.port);
  return { url: server.url, docs, bus, logs, accountChecks, accountsAnswer, clock, stop: server.close };
}

/** What Twilio would send as X-Twilio-Signature for `url` and these form parameters (Twilio's helper library). */
export function twilioSignature(authToken: string, url: string, params: Record<string, string> = {}): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}

/** A token with a role, as /register-app (twilio) or /register (agent) would issue it, for these settings. */
export async function issuedToken(role: 'twilio' | 'agent', envOverrides: Env = {}): Promise<string> {
  const env = baseEnv(envOverrides);
  return roleToken({ key: env['UI_CONNECTOR_JWT_SECRET']!, project: env['GCP_PROJECT']!, role });
}

/** An HS256 token with `ccbridge_role`, signed with `key` (what a ui-connector with that key issues). */
export async function roleToken(options: { key: string; project: string; role: 'twilio' | 'agent'; user?: string }): Promise<string> {
  const { SignJWT } = await import('jose');
  const now = Math.floor(Date.now() / 1000);
  const user = options.user ?? (options.role === 'twilio' ? `twilio:${ACCOUNT_SID}` : 'sf:agent');
  return new SignJWT({ gcp_agent_assist_project: options.project, gcp_agent_assist_user: user, ccbridge_role: options.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(options.key));
}

/** The request the shipped Twilio Function sends to `<publicUrl>/conversation-name`: JSON, signed (bodySHA256). */
export function signedRegistration(publicUrl: string, authToken: string, token: string, body: unknown): { url: string; init: RequestInit } {
  const signed = signedJsonRequest('/conversation-name', body, { publicUrl, authToken });
  return {
    url: `${publicUrl}${signed.pathWithQuery}`,
    init: { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: token, 'X-Twilio-Signature': signed.signature }, body: signed.text },
  };
}

export function sha256Hex(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** Twilio's JSON variant: the URL gets ?bodySHA256=…, and only the URL is signed. */
export function signedJsonRequest(path: string, body: unknown, options: { publicUrl?: string; authToken?: string } = {}) {
  const text = JSON.stringify(body);
  const query = `?bodySHA256=${sha256Hex(text)}`;
  const signature = twilioSignature(options.authToken ?? AUTH_TOKEN, `${options.publicUrl ?? PUBLIC_URL}${path}${query}`);
  return { pathWithQuery: `${path}${query}`, text, signature };
}
