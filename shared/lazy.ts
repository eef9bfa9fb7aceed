/**
 * Load-on-first-use. A function bundle loads only the Functions Framework and its own
 * core at start; heavy clients (Google Cloud client libraries, Dialogflow, HTTP clients)
 * are imported the first time a request needs them, so an instance is ready to serve fast
 * and, e.g., a health check never loads Firestore.
 */

/** Memoises an async loader; a failed load is forgotten so the next call retries. */
export function lazyAsync<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = load();
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}

type AsyncMethods<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<R> : never;
};

/**
 * A port whose every method is async, backed by an implementation loaded on first call.
 * Methods to forward are listed explicitly (no Proxy magic in the request path).
 */
export function deferMethods<T extends object>(load: () => Promise<T>, methods: ReadonlyArray<keyof T>): AsyncMethods<T> {
  const get = lazyAsync(load);
  const out: Record<string, unknown> = {};
  for (const m of methods) {
    out[m as string] = async (...args: unknown[]) => {
      const impl = (await get()) as Record<string, (...a: unknown[]) => Promise<unknown>>;
      return impl[m as string]!(...args);
    };
  }
  return out as AsyncMethods<T>;
}
