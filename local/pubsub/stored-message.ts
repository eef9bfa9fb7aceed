import { msToTimestamp, toRfc3339 } from './time';
import type { WirePubsubMessage } from './wire';

/** A published message, shared by every subscription it fans out to. */
export interface StoredMessage {
  readonly messageId: string;
  readonly topic: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey: string;
  readonly publishTimeMs: number;
  /** Bytes counted against flow control: data plus attribute keys and values. */
  readonly size: number;
  /** Encoded once: every delivery of the message sends the same wire object. */
  readonly wire: WirePubsubMessage;
}

export function createStoredMessage(
  input: { data: Buffer; attributes: Record<string, string>; orderingKey: string },
  messageId: string,
  topic: string,
  publishTimeMs: number,
): StoredMessage {
  let size = input.data.length;
  for (const [key, value] of Object.entries(input.attributes)) size += key.length + value.length;
  const attributes = { ...input.attributes };
  return {
    messageId,
    topic,
    data: input.data,
    attributes,
    orderingKey: input.orderingKey,
    publishTimeMs,
    size,
    wire: {
      data: input.data,
      attributes,
      messageId,
      publishTime: msToTimestamp(publishTimeMs),
      orderingKey: input.orderingKey,
    },
  };
}

export function publishTimeOf(message: StoredMessage): string {
  return toRfc3339(message.publishTimeMs);
}
