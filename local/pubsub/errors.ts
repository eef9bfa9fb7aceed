import { status } from '@grpc/grpc-js';

/** An error the emulator answers with as a gRPC status, worded like Pub/Sub's own. */
export class PubSubApiError extends Error {
  readonly code: status;

  constructor(code: status, message: string) {
    super(message);
    this.name = 'PubSubApiError';
    this.code = code;
  }
}

export function notFound(resourceId: string): PubSubApiError {
  return new PubSubApiError(status.NOT_FOUND, `Resource not found (resource=${resourceId}).`);
}

export function alreadyExists(resourceId: string): PubSubApiError {
  return new PubSubApiError(status.ALREADY_EXISTS, `Resource already exists in the project (resource=${resourceId}).`);
}

export function invalidArgument(message: string): PubSubApiError {
  return new PubSubApiError(status.INVALID_ARGUMENT, message);
}

/** Raised by `drain()` when delivery work is still pending at the deadline. */
export class DrainTimeoutError extends Error {
  readonly busySubscriptions: readonly string[];

  constructor(timeoutMs: number, busySubscriptions: readonly string[]) {
    super(`Pub/Sub emulator still busy after ${timeoutMs} ms: ${busySubscriptions.join(', ')}`);
    this.name = 'DrainTimeoutError';
    this.busySubscriptions = busySubscriptions;
  }
}
