import { type DownloadRange, parseDownloadRange, parseUploadContentRange, type UploadContentRange } from '../../local/storage/ranges';

describe('parseDownloadRange', () => {
  test.each<[string | undefined, number, DownloadRange]>([
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-9', 100, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=10-', 100, { kind: 'partial', start: 10, end: 99 }],
    ['bytes=90-500', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=0-0', 100, { kind: 'partial', start: 0, end: 0 }],
    ['bytes=5-9, 20-30', 100, { kind: 'partial', start: 5, end: 9 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'full' }],
    ['bytes=9-5', 100, { kind: 'full' }],
    ['items=0-5', 100, { kind: 'full' }],
    ['bytes=abc', 100, { kind: 'full' }],
  ])('Range %j on %d bytes → %j', (header, size, expected) => {
    expect(parseDownloadRange(header, size)).toEqual(expected);
  });
});

describe('parseUploadContentRange', () => {
  test.each<[string | undefined, UploadContentRange | undefined]>([
    [undefined, { kind: 'data', start: 0, end: undefined, total: undefined }],
    ['bytes */*', { kind: 'query', total: undefined }],
    ['bytes */1000', { kind: 'query', total: 1000 }],
    ['bytes 0-262143/*', { kind: 'data', start: 0, end: 262143, total: undefined }],
    ['bytes 262144-262199/262200', { kind: 'data', start: 262144, end: 262199, total: 262200 }],
    ['bytes 0-*/*', { kind: 'data', start: 0, end: undefined, total: undefined }],
    ['bytes 0-*/5', { kind: 'data', start: 0, end: undefined, total: 5 }],
    ['bytes 0--1/0', { kind: 'data', start: 0, end: -1, total: 0 }],
    ['bytes 10-2/20', undefined],
    ['bytes=0-5/6', undefined],
    ['nonsense', undefined],
  ])('Content-Range %j → %j', (header, expected) => {
    expect(parseUploadContentRange(header)).toEqual(expected);
  });
});
