/**
 * transferZoomFile checks the body against Zoom's Content-Length before the upload is
 * finalised: a body that ends early or runs past the announced length fails with
 * DownloadLengthMismatchError and leaves no object; an exact one is stored.
 */
import { Readable } from 'node:stream';
import { createLogger } from '../../shared/logging';
import type { ZoomApiClient, ZoomDownload } from '../../shared/zoom/api-client';
import { DownloadLengthMismatchError, transferZoomFile } from '../../shared/zoom/transfer';
import { createMemoryBlobStore } from '../support/doubles/memory-blobstore';

/** A Zoom client whose only download answers `body` under the given Content-Length. */
function zoomAnswering(body: Buffer, contentLength: number): ZoomApiClient {
  const refuse = () => {
    throw new Error('not used by a transfer');
  };
  return {
    listRecordingsPage: refuse,
    listEngagementsPage: refuse,
    listVoicemailsPage: refuse,
    listRecordings: refuse,
    listEngagements: refuse,
    getEngagement: refuse,
    listEngagementNotes: refuse,
    listEngagementRecordings: refuse,
    listVoicemails: refuse,
    openDownload: async (): Promise<ZoomDownload> => ({
      body: Readable.from([body.subarray(0, 4), body.subarray(4)]),
      contentType: 'audio/mpeg',
      contentLength,
    }),
  };
}

const transfer = (body: Buffer, contentLength: number) => {
  const blobs = createMemoryBlobStore();
  const run = transferZoomFile(
    { zoom: zoomAnswering(body, contentLength), blobs, log: createLogger({ sink: () => undefined }) },
    { url: 'https://zoom.example/file', path: 'zoom/e-1/recording.mp3', metadata: {}, resumableThresholdBytes: 1024 },
  );
  return { blobs, run };
};

describe('Zoom file transfer: the body against Content-Length', () => {
  it('refuses a body that runs past the announced length, and stores nothing', async () => {
    const { blobs, run } = transfer(Buffer.alloc(12, 1), 10);
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadLengthMismatchError);
    expect(String((err as Error).cause)).toContain('body ran past the 10 bytes Content-Length announced');
    expect(await blobs.stat('zoom/e-1/recording.mp3')).toBeUndefined();
  });

  it('refuses a body that ends before the announced length, and stores nothing', async () => {
    const { blobs, run } = transfer(Buffer.alloc(6, 1), 10);
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadLengthMismatchError);
    expect(String((err as Error).cause)).toContain('body ended after 6 bytes, Content-Length announced 10');
    expect(await blobs.stat('zoom/e-1/recording.mp3')).toBeUndefined();
  });

  it('stores a body of exactly the announced length', async () => {
    const { blobs, run } = transfer(Buffer.alloc(10, 1), 10);
    await expect(run).resolves.toMatchObject({ reused: false, info: { size: 10 } });
    expect(blobs.contents('zoom/e-1/recording.mp3')).toEqual(Buffer.alloc(10, 1));
  });
});
