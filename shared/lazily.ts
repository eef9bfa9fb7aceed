/**
 * Builds a value on first use and keeps it: the composition root of a function runs once
 * per instance, on the first request, not at import (cold start stays cheap and tests can
 * import entry points without configuration).
 */
export function lazily<T>(build: () => T): () => T {
  let built = false;
  let value: T;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value;
  };
}
