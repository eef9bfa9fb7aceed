/**
 * gRPC handlers for google.firestore.v1.Firestore over `FirestoreState`. Errors become
 * statuses in one place (`toStatus`). Listen, Write and ExecutePipeline answer UNIMPLEMENTED.
 */
import {
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerDuplexStream,
  type ServerWritableStream,
  type ServiceError,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { FirestoreApiError, unimplemented } from './errors';
import type { FirestoreState } from './state';

type StatusError = Pick<ServiceError, 'code' | 'details'>;

function toStatus(error: unknown, log: (line: string) => void): StatusError {
  if (error instanceof FirestoreApiError) return { code: error.code, details: error.message };
  log(`firestore: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return { code: status.INTERNAL, details: error instanceof Error ? error.message : String(error) };
}

function unary<Request, Response>(log: (line: string) => void, handle: (request: Request) => Response): handleUnaryCall<Request, Response> {
  return (call, callback) => {
    let response: Response;
    try {
      response = handle(call.request);
    } catch (error) {
      callback(toStatus(error, log));
      return;
    }
    callback(null, response);
  };
}

function serverStream<Request, Response>(log: (line: string) => void, handle: (request: Request) => Response[]): handleServerStreamingCall<Request, Response> {
  return (call: ServerWritableStream<Request, Response>) => {
    let responses: Response[];
    try {
      responses = handle(call.request);
    } catch (error) {
      call.emit('error', toStatus(error, log));
      return;
    }
    for (const response of responses) call.write(response);
    call.end();
  };
}

function refuse(message: string): (call: ServerDuplexStream<unknown, unknown> | ServerWritableStream<unknown, unknown>) => void {
  return (call) => {
    const { code, message: details } = unimplemented(message);
    call.emit('error', { code, details });
  };
}

/** Counts the calls each handler receives (introspection: which RPCs a client used). */
function counted(handlers: UntypedServiceImplementation, counts: Map<string, number>): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const h = handler as (...args: never[]) => void;
    out[name] = ((...args: never[]) => {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      h(...args);
    }) as UntypedServiceImplementation[string];
  }
  return out;
}

export function createFirestoreService(
  state: FirestoreState,
  log: (line: string) => void,
  counts: Map<string, number> = new Map(),
): UntypedServiceImplementation {
  return counted(handlers(state, log), counts);
}

function handlers(state: FirestoreState, log: (line: string) => void): UntypedServiceImplementation {
  return {
    GetDocument: unary(log, state.getDocument.bind(state)),
    BatchGetDocuments: serverStream(log, state.batchGetDocuments.bind(state)),
    RunQuery: serverStream(log, state.runQuery.bind(state)),
    RunAggregationQuery: serverStream(log, state.runAggregationQuery.bind(state)),
    ListDocuments: unary(log, state.listDocuments.bind(state)),
    ListCollectionIds: unary(log, state.listCollectionIds.bind(state)),
    BeginTransaction: unary(log, state.beginTransaction.bind(state)),
    Rollback: unary(log, state.rollback.bind(state)),
    Commit: unary(log, state.commit.bind(state)),
    BatchWrite: unary(log, state.batchWrite.bind(state)),
    UpdateDocument: unary(log, state.updateDocument.bind(state)),
    DeleteDocument: unary(log, state.deleteDocument.bind(state)),
    CreateDocument: unary(log, state.createDocument.bind(state)),
    // Fewer partitions than asked for is allowed: none means "one partition, the whole query".
    PartitionQuery: unary(log, () => ({ partitions: [], nextPageToken: '' })),
    Listen: refuse('Listen (onSnapshot) is not implemented by the Firestore stand-in.'),
    Write: refuse('The Write stream is not implemented by the Firestore stand-in; use Commit.'),
    ExecutePipeline: refuse('Pipelines are not implemented by the Firestore stand-in.'),
  };
}
