/**
 * What reaches reconcile: a run request (Cloud Scheduler posts `{"trigger":"scheduler"}`;
 * an operator may name a window), and lane messages pushed by the reconcile-slices
 * subscription — Pub/Sub's push body `{message:{data,attributes,messageId,publishTime},subscription}`
 * (the local emulator adds CloudEvent ce- headers to the same body; they are not needed).
 */
import * as z from 'zod';
import type { LaneMessage } from '../../shared/reconcile/deps';
import { windowBoundSchema } from '../../shared/reconcile/window';

export const runRequestSchema = z
  .looseObject({
    from: windowBoundSchema.optional(),
    to: windowBoundSchema.optional(),
    dryRun: z.boolean().default(false),
    /** Start over even if a run for this window is unfinished. */
    restart: z.boolean().default(false),
    trigger: z.string().max(40).default('manual'),
    /** false: answer as soon as the run is started (202), do not wait for the report. */
    wait: z.boolean().default(true),
  })
  .refine((r) => (r.from === undefined) === (r.to === undefined), { error: 'give both from and to, or neither (yesterday)', path: ['to'] });

const laneMessageSchema = z.object({
  runId: z.string().min(1).max(200),
  lane: z.number().int().min(0).max(1000),
  step: z.number().int().min(0),
});

const pushBodySchema = z.looseObject({
  message: z.looseObject({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).nullish(),
    messageId: z.string().optional(),
    message_id: z.string().optional(),
    publishTime: z.string().optional(),
  }),
  subscription: z.string().optional(),
  deliveryAttempt: z.number().int().optional(),
});

export type PushDecoded =
  | { ok: true; message: LaneMessage; messageId: string | undefined; deliveryAttempt: number | undefined }
  | { ok: false; reason: string };

/** Decodes a push delivery; a message that can never be processed is reported, not thrown. */
export function decodeLanePush(body: unknown): PushDecoded {
  const push = pushBodySchema.safeParse(body);
  if (!push.success) return { ok: false, reason: 'not a Pub/Sub push body' };
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(push.data.message.data ?? '', 'base64').toString('utf8'));
  } catch {
    return { ok: false, reason: 'message data is not JSON' };
  }
  const message = laneMessageSchema.safeParse(data);
  if (!message.success) return { ok: false, reason: 'message data is not a lane message' };
  return {
    ok: true,
    message: message.data,
    messageId: push.data.message.messageId ?? push.data.message.message_id,
    deliveryAttempt: push.data.deliveryAttempt,
  };
}
