/**
 * call-log's HTTP surface. `/twilio/status`: Twilio's call status callback, signed (verified by
 * the shared Twilio request gate against the configured public URLs only; unsigned refused).
 * `/events`: the conversation-events push subscription (wrapped body, Google OIDC token of the
 * push identity). `/sweep`: Cloud Scheduler (OIDC). Everything before the core writes nothing.
 */
import type { OidcVerifier } from '../../shared/auth/oidc';
import { platformCredential } from '../../shared/auth/oidc';
import { AppError, badRequest } from '../../shared/errors';
import { decodePubSubPush, PermanentEventError, runEvent } from '../../shared/events/pubsub-event';
import { createHttpApp, type HttpFunction, type RequestContext } from '../../shared/http/app';
import { describeIssues } from '../../shared/http/body';
import type { Logger } from '../../shared/logging';
import type { TwilioRequestGate } from '../../shared/twilio/request-gate';
import { type CallLogDeps, recordRegistration, settle, storeCompletion, sweep } from './call-log';
import { isTerminal, statusCallbackSchema } from './callback';
import { readRegistration } from './registration';

export interface CallLogAppDeps {
  log: Logger;
  projectId?: string;
  gate: TwilioRequestGate;
  oidc: OidcVerifier;
  pushInvokers: string[];
  sweepInvokers: string[];
  sweepBatch: number;
  core: Omit<CallLogDeps, 'log'>;
}

/** A status callback is a few hundred bytes of form parameters. */
const MAX_BODY_BYTES = 64 * 1024;

function formParams(ctx: RequestContext): Array<[string, string]> {
  const type = String(ctx.req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded'))
    throw new AppError('unsupported_media_type', 415, 'a status callback is application/x-www-form-urlencoded');
  return [...new URLSearchParams(ctx.rawBody.toString('utf8')).entries()];
}

export function createCallLogApp(deps: CallLogAppDeps): HttpFunction {
  const core = (log: Logger): CallLogDeps => ({ ...deps.core, log });
  return createHttpApp({
    name: 'call-log',
    log: deps.log,
    ...(deps.projectId ? { projectId: deps.projectId } : {}),
    maxBodyBytes: MAX_BODY_BYTES,
    routes: [
      {
        method: 'POST',
        path: '/twilio/status',
        handle: async (ctx) => {
          const params = formParams(ctx);
          deps.gate.check(ctx, params, 'write');
          const fields: Record<string, string> = {};
          for (const [k, v] of params) if (!(k in fields)) fields[k] = v;
          const parsed = statusCallbackSchema.safeParse(fields);
          if (!parsed.success) {
            const problems = describeIssues(parsed.error);
            throw new AppError('invalid_body', 400, `invalid status callback: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, {
              details: problems,
            });
          }
          const callback = parsed.data;
          if (!isTerminal(callback.CallStatus)) return { status: 204 };
          // Durable first: a store failure is a 5xx (Twilio retries only with a #rc connection override; the sweep cannot see it).
          await storeCompletion(core(ctx.log), callback);
          try {
            await settle(core(ctx.log), callback.CallSid, 'event');
          } catch (err) {
            ctx.log.warn('call log write failed: the sweep retries it', { callSid: callback.CallSid, err });
          }
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        path: '/events',
        handle: async (ctx) => {
          await deps.oidc.verify(platformCredential(ctx.req.headers), deps.pushInvokers);
          let message: ReturnType<typeof decodePubSubPush>;
          try {
            message = decodePubSubPush(ctx.req.body);
          } catch (err) {
            if (err instanceof PermanentEventError && err.reason === 'malformed_event') throw badRequest('the body is not a Pub/Sub push message');
            ctx.log.warn('event dropped: permanent failure', { err });
            return { status: 204 };
          }
          const log = ctx.log.child({ messageId: message.id, deliveryAttempt: message.deliveryAttempt });
          await runEvent(log, message.id, async () => {
            const reading = readRegistration(message.data);
            if (reading.kind === 'other-event') return;
            if (reading.kind === 'no-call-sid') {
              log.warn('conversation registered without a CallSid in its name: no call log can be joined to it');
              return;
            }
            const outcome = await recordRegistration(core(log), reading.registration);
            // Busy: another delivery is writing this call; Pub/Sub redelivers and the state decides again.
            if (outcome === 'busy') throw new AppError('unavailable', 503, 'this call is being written by another delivery', { retryable: true });
          });
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        path: '/sweep',
        handle: async (ctx) => {
          await deps.oidc.verify(platformCredential(ctx.req.headers), deps.sweepInvokers);
          return { json: await sweep(core(ctx.log), deps.sweepBatch) };
        },
      },
    ],
  });
}
