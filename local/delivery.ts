/**
 * terraform/delivery.json, the one description of the push subscriptions (ack deadline,
 * back-off) that Terraform deploys and the local stack provisions.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';

const subscriptionSchema = z.object({
  topic: z.string().min(1),
  function: z.string().min(1),
  path: z.string().startsWith('/'),
  ackDeadlineSeconds: z.number().int().min(10).max(600),
  minimumBackoffSeconds: z.number().min(0).max(600),
  maximumBackoffSeconds: z.number().min(0).max(600),
});

/** The push subscription on a dead-letter topic (of sourceTopic) that records what reaches it. */
const deadLetterRecordingSchema = subscriptionSchema.omit({ topic: true }).extend({ subscription: z.string().min(1), sourceTopic: z.string().min(1) });

const deliverySchema = z.object({
  subscriptions: z.record(z.string(), subscriptionSchema),
  deadLetterRecording: deadLetterRecordingSchema,
  staleMarginSeconds: z.number().int().min(0),
});

export type PushSubscriptionSpec = z.output<typeof subscriptionSchema>;
export type DeliverySpec = z.output<typeof deliverySchema>;

export function readDeliverySpec(): DeliverySpec {
  return deliverySchema.parse(JSON.parse(readFileSync(new URL('../terraform/delivery.json', import.meta.url), 'utf8')));
}

/** The worker's ZOOM_ITEM_ORDER_STALE_MS: longer than one attempt plus the longest back-off. */
export function itemOrderStaleMs(spec: DeliverySpec): number {
  const worker = Object.values(spec.subscriptions).find((s) => s.function === 'interaction-worker');
  if (!worker) throw new Error('terraform/delivery.json has no subscription for interaction-worker');
  return (worker.ackDeadlineSeconds + worker.maximumBackoffSeconds + spec.staleMarginSeconds) * 1000;
}
