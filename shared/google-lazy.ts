/**
 * The Google-backed ports, ready at once and loading their client library on first use
 * (see ./lazy). Composition roots use these; ./google.ts and ./adapters/* hold the loading.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { Secret } from './config';
import { deferMethods, lazyAsync } from './lazy';
import type { BlobStore } from './ports/blobstore';
import type { DocStore } from './ports/docstore';
import type { EventBus } from './ports/eventbus';

export function lazyFirestoreDocStore(projectId: string, databaseId: string): DocStore {
  return deferMethods<DocStore>(async () => {
    const [{ createFirestore }, { createFirestoreDocStore }] = await Promise.all([import('./google'), import('./adapters/firestore')]);
    return createFirestoreDocStore(createFirestore(projectId, databaseId));
  }, ['get', 'getAll', 'create', 'set', 'update', 'getVersioned', 'delete', 'query', 'count']);
}

export function lazyPubSubEventBus(projectId: string): EventBus {
  return deferMethods<EventBus>(async () => {
    const [{ createPubSub }, { createPubSubEventBus }] = await Promise.all([import('./google'), import('./adapters/pubsub')]);
    return createPubSubEventBus(createPubSub(projectId));
  }, ['publish']);
}

export function lazyGcsBlobStore(projectId: string, bucket: string, signer?: { clientEmail: string; privateKey: Secret }): BlobStore {
  const load = lazyAsync(async () => {
    const [{ createStorage }, { createGcsBlobStore }] = await Promise.all([import('./google'), import('./adapters/gcs')]);
    return createGcsBlobStore(createStorage(projectId, signer).bucket(bucket));
  });
  const deferred = deferMethods<Omit<BlobStore, 'bucket' | 'read'>>(load, ['write', 'stat', 'list', 'delete', 'signedReadUrl']);
  return {
    bucket,
    ...deferred,
    // read() is synchronous in the port: hand out a stream now and connect it once loaded.
    read(path, range) {
      const out = new PassThrough();
      load().then(
        (store) => {
          const source: Readable = store.read(path, range);
          source.on('error', (err) => out.destroy(err));
          source.pipe(out);
        },
        (err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))),
      );
      return out;
    },
  };
}
