/**
 * The IPC messages between the fuzz driver and the stack process it starts
 * (scripts/fuzz/stack-process.ts). The stack runs in its own process so that every line it
 * logs is captured whole from its stdout/stderr and a crash is visible as an exit; the
 * channel carries only introspection (what the stand-ins hold) and OIDC tokens.
 */
import type { LocalCredentials } from '../../local/credentials';
import type { DocumentWrite } from '../../local/firestore';
import type { Env } from '../../shared/config';

/** The audience of the IAP assertions artifact links require in the fuzz stack. */
export const FUZZ_IAP_AUDIENCE = '/projects/000000000000/global/backendServices/fuzz-artifact-links';

export interface ReadyMessage {
  type: 'ready';
  gatewayUrl: string;
  functions: Record<string, string>;
  credentials: LocalCredentials;
  /** The environment every function was composed with (secrets included: the log check needs them). */
  env: Env;
}

export interface StoredObject {
  bucket: string;
  name: string;
  size: number;
}

export interface PulledMessage {
  topic: string;
  data: string;
  attributes: Record<string, string>;
}

export interface ObservedWrites {
  /** Writes to collections not in `countOnly`, in order. */
  writes: DocumentWrite[];
  /** Per collection in `countOnly`: how many writes, and how many distinct documents were created. */
  counted: Record<string, { writes: number; created: number }>;
}

export type Command =
  /** Detach push subscriptions, create one pull subscription per topic, start recording Firestore writes. */
  | { command: 'prepare'; countOnly: string[] }
  | { command: 'writes' }
  | { command: 'objects' }
  | { command: 'pull' }
  /** An ID token of the stack's OIDC issuer, or (`iap`) an IAP assertion of its IAP-like signer. */
  | { command: 'mint'; audience: string; email: string; expiresInSeconds?: number; issuedAt?: number; issuer?: string; iap?: boolean }
  /** An end user's ID token from the stack's identity provider (ccaip-sdk). */
  | { command: 'mint-id-token'; audience: string; claims: Record<string, unknown> & { sub: string }; expiresInSeconds?: number; issuedAt?: number }
  | { command: 'stop' };

export interface CommandResults {
  prepare: { topics: string[]; detached: string[] };
  writes: ObservedWrites;
  objects: StoredObject[];
  pull: PulledMessage[];
  mint: string;
  'mint-id-token': string;
  stop: null;
}

export interface RequestMessage {
  type: 'request';
  id: number;
  body: Command;
}

export type ReplyMessage = { type: 'reply'; id: number; ok: true; value: unknown } | { type: 'reply'; id: number; ok: false; error: string };

export type ChildMessage = ReadyMessage | ReplyMessage;
