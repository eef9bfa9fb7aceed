import type { NewRecord } from '../port';

/**
 * The first text of a record created for a session (ServiceNow's incident description, Zendesk's
 * ticket comment): one line each for the session, and the queue and direction when known. The
 * first line is what a retried create searches for.
 */
export function sessionDescription(input: Pick<NewRecord, 'sessionId' | 'queue' | 'direction'>): string {
  return [`Session ${input.sessionId}`, input.queue ? `Queue ${input.queue}` : undefined, input.direction ? `Direction ${input.direction}` : undefined]
    .filter(Boolean)
    .join('\n');
}
