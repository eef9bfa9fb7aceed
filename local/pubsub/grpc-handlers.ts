import { type handleUnaryCall, type ServiceError, status } from '@grpc/grpc-js';
import { PubSubApiError } from './errors';

type StatusError = Pick<ServiceError, 'code' | 'details'>;

/** The one place errors become gRPC statuses; anything unexpected is INTERNAL and logged. */
export function toStatusError(error: unknown, log: (line: string) => void): StatusError {
  if (error instanceof PubSubApiError) return { code: error.code, details: error.message };
  log(`pubsub: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return { code: status.INTERNAL, details: error instanceof Error ? error.message : String(error) };
}

export function unary<Request, Response>(log: (line: string) => void, handle: (request: Request) => Response): handleUnaryCall<Request, Response> {
  return (call, callback) => {
    let response: Response;
    try {
      response = handle(call.request);
    } catch (error) {
      const { code, details } = toStatusError(error, log);
      callback({ code, details });
      return;
    }
    callback(null, response);
  };
}
