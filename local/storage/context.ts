import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ObjectStore } from './object-store';
import type { ResumableUploads } from './resumable-uploads';

/** What every request handler needs; built once per emulator. */
export interface EmulatorContext {
  store: ObjectStore;
  uploads: ResumableUploads;
  /** Keys that V4 signed URLs must verify against; empty means "check expiry only". */
  signingKeys: KeyObject[];
  baseUrl(): string;
  now(): Date;
}

/** One request, with its URL parsed once. `rawPath` keeps the percent-encoding as sent. */
export interface RequestInfo {
  req: IncomingMessage;
  res: ServerResponse;
  rawPath: string;
  query: URLSearchParams;
}
