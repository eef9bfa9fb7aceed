/** The event bus port (Pub/Sub in production). Messages carry JSON data. */

export interface OutgoingMessage {
  data: unknown;
  attributes?: Record<string, string>;
  /** Messages with the same key are delivered in publish order. */
  orderingKey?: string;
}

export interface EventBus {
  /** Resolves with the message id once the bus has accepted the message durably. */
  publish(topic: string, message: OutgoingMessage): Promise<string>;
}
