/** An in-memory EventBus for unit tests; can be told to fail. */
import type { EventBus, OutgoingMessage } from '../../../shared/ports/eventbus';

export interface PublishedMessage extends OutgoingMessage {
  topic: string;
  id: string;
}

export interface MemoryEventBus extends EventBus {
  readonly published: PublishedMessage[];
  /** The next `times` publishes reject with `error`. */
  failNext(times: number, error?: Error): void;
}

export function createMemoryEventBus(): MemoryEventBus {
  const published: PublishedMessage[] = [];
  let failures = 0;
  let failure = new Error('event bus unavailable');
  return {
    published,
    failNext(times, error) {
      failures = times;
      if (error) failure = error;
    },
    async publish(topic, message) {
      if (failures > 0) {
        failures--;
        throw failure;
      }
      const id = String(published.length + 1);
      published.push({ ...structuredClone(message), topic, id });
      return id;
    },
  };
}
