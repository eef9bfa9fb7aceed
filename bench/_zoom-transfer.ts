/**
 * Measures one Zoom → Cloud Storage transfer between the Zoom mock and the Storage
 * emulator: the bundle's path (Zoom client + transferZoomFile + the real
 * @google-cloud/storage client, resumable, CRC32C) and, as the baseline, a plain streamed
 * copy between the same two servers (one GET piped into one media upload, nothing else).
 * Used by `npm run bench -- transfer` and by the constant-memory test.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { createGcsBlobStore } from '../shared/adapters/gcs';
import { Secret } from '../shared/config';
import { createStorage } from '../shared/google';
import { silentLogger } from '../test/support/doubles/silent-logger';
import { createZoomApiClient, createZoomHttp } from '../shared/zoom/api-client';
import { createZoomTokenProvider } from '../shared/zoom/oauth';
import { transferZoomFile } from '../shared/zoom/transfer';
import type { MockEngagement } from '../local/mocks/zoom/model';
import { startZoomMock, type ZoomMock, zoomFilePath } from '../local/mocks/zoom';
import { type StorageEmulator, startStorageEmulator } from '../local/storage';

export interface TransferRig {
  zoom: ZoomMock;
  storage: StorageEmulator;
  bucket: string;
  /** Adds a recording of `bytes` and returns its download URL. */
  addRecording(id: string, bytes: number): string;
  /** The bundle's transfer; resolves with elapsed ms and peak RSS growth in bytes. */
  transfer(url: string, path: string): Promise<Measurement>;
  /** The baseline: a plain streamed copy between the same two servers. */
  plainCopy(url: string, path: string): Promise<Measurement>;
  sha256Of(path: string): Promise<string>;
  stop(): Promise<void>;
}

export interface Measurement {
  ms: number;
  peakRssGrowthBytes: number;
  bytes: number;
}

const CREDENTIALS = { accountId: 'bench-account', clientId: 'bench-client', clientSecret: 'bench-client-secret' };

export async function startTransferRig(): Promise<TransferRig> {
  const zoom = await startZoomMock({ port: 0, ...CREDENTIALS });
  const storage = await startStorageEmulator({});
  process.env['STORAGE_EMULATOR_HOST'] = storage.baseUrl;
  const gcs = createStorage('ccbridge-bench');
  const bucket = 'bench-archive';
  await gcs.createBucket(bucket);
  const blobs = createGcsBlobStore(gcs.bucket(bucket));
  const httpClient = createZoomHttp();
  const tokens = createZoomTokenProvider({
    http: httpClient,
    credentials: {
      tokenUrl: `${zoom.baseUrl}/oauth/token`,
      accountId: CREDENTIALS.accountId,
      clientId: CREDENTIALS.clientId,
      clientSecret: new Secret(CREDENTIALS.clientSecret),
    },
  });
  const api = createZoomApiClient({ apiBaseUrl: `${zoom.baseUrl}/v2`, tokens, downloadHosts: [new URL(zoom.baseUrl).host] }, httpClient);

  const addRecording = (id: string, bytes: number) => {
    const now = new Date().toISOString();
    const engagement: MockEngagement = {
      engagementId: `eng-${id}`,
      channel: 'voice',
      direction: 'inbound',
      queueId: 'q',
      queueName: 'Q',
      agentId: 'u',
      agentName: 'U',
      consumerNumber: '+15550000000',
      startTime: now,
      endTime: now,
      recordings: [{ recordingId: id, bytes, contentType: 'audio/mpeg', startTime: now, endTime: now, durationSeconds: 1, transcript: false }],
      notes: [],
      dispositions: [],
      voicemails: [],
      messagingTranscript: false,
    };
    zoom.addEngagement(engagement);
    return `${zoom.baseUrl}${zoomFilePath('recordings', id)}`;
  };

  return {
    zoom,
    storage,
    bucket,
    addRecording,
    transfer: (url, path) =>
      measure(async () => {
        const result = await transferZoomFile(
          { zoom: api, blobs, log: silentLogger },
          { url, path, metadata: { engagementId: 'bench' }, resumableThresholdBytes: 8 * 1024 * 1024 },
        );
        return result.info.size;
      }),
    plainCopy: (url, path) =>
      measure(async () => {
        const token = await tokens.getToken();
        const source = await new Promise<http.IncomingMessage>((resolve, reject) =>
          http.get(url, { headers: { authorization: `Bearer ${token}` } }, resolve).on('error', reject),
        );
        const target = new URL(`${storage.baseUrl}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(path)}`);
        const length = Number(source.headers['content-length']);
        const upload = http.request(target, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': String(length) } });
        const answered = new Promise<http.IncomingMessage>((resolve, reject) => upload.on('response', resolve).on('error', reject));
        await pipeline(source, upload);
        const res = await answered;
        res.resume();
        if (res.statusCode !== 200) throw new Error(`plain upload answered ${res.statusCode}`);
        return length;
      }),
    async sha256Of(path) {
      const hash = createHash('sha256');
      await pipeline(blobs.read(path), hash);
      return hash.digest('hex');
    },
    async stop() {
      await zoom.stop();
      await storage.stop();
    },
  };
}

/** Runs `work`, sampling RSS every 10 ms; growth is measured from the RSS just before. */
async function measure(work: () => Promise<number>): Promise<Measurement> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const started = performance.now();
  try {
    const bytes = await work();
    const ms = performance.now() - started;
    peak = Math.max(peak, process.memoryUsage.rss());
    return { ms, peakRssGrowthBytes: peak - baseline, bytes };
  } finally {
    clearInterval(timer);
  }
}
