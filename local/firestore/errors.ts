import { status } from '@grpc/grpc-js';

/** An error the stand-in answers with as a gRPC status, worded like Firestore's own. */
export class FirestoreApiError extends Error {
  readonly code: status;

  constructor(code: status, message: string) {
    super(message);
    this.name = 'FirestoreApiError';
    this.code = code;
  }
}

export function invalidArgument(message: string): FirestoreApiError {
  return new FirestoreApiError(status.INVALID_ARGUMENT, message);
}

export function notFound(message: string): FirestoreApiError {
  return new FirestoreApiError(status.NOT_FOUND, message);
}

export function alreadyExists(message: string): FirestoreApiError {
  return new FirestoreApiError(status.ALREADY_EXISTS, message);
}

export function failedPrecondition(message: string): FirestoreApiError {
  return new FirestoreApiError(status.FAILED_PRECONDITION, message);
}

export function aborted(message: string): FirestoreApiError {
  return new FirestoreApiError(status.ABORTED, message);
}

export function unimplemented(message: string): FirestoreApiError {
  return new FirestoreApiError(status.UNIMPLEMENTED, message);
}
