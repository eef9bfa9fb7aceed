/**
 * The one comparison of secrets, signatures and tokens. Both sides are hashed first, so the
 * time taken shows neither where they differ nor how long either is, and unequal lengths
 * need no special case (node:crypto's timingSafeEqual throws on them).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string | Buffer) => createHash('sha256').update(value).digest();

export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
