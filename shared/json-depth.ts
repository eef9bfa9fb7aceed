/**
 * How deep a parsed JSON value nests. JSON.parse accepts any depth, but JSON.stringify,
 * structuredClone, Firestore's serializer and every recursive walk of ours overflow the
 * stack somewhere below ~10 000 levels — a 60 kB body of "[[[[…" is enough. Inputs are
 * therefore refused beyond a depth no legitimate caller comes near.
 */

/** Zoom events, CloudEvents and CRM bodies nest fewer than ten levels. */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests deeper than `max` (walked with an explicit stack: no recursion to overflow). */
export function exceedsJsonDepth(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push({ v: child, depth: depth + 1 });
  }
  return false;
}
