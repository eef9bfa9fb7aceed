import { parseRoute, type Route } from '../../local/storage/routes';

describe('parseRoute', () => {
  test.each<[string, Route]>([
    ['/', { kind: 'root' }],
    ['/storage/v1/b', { kind: 'buckets' }],
    ['/b', { kind: 'buckets' }],
    ['/storage/v1/b/bkt', { kind: 'bucket', bucket: 'bkt' }],
    ['/storage/v1/b/bkt/o', { kind: 'objects', bucket: 'bkt', upload: false }],
    ['/upload/storage/v1/b/bkt/o', { kind: 'objects', bucket: 'bkt', upload: true }],
    ['/storage/v1/b/bkt/o/a%2Fb%20c.txt', { kind: 'object', ref: { bucket: 'bkt', name: 'a/b c.txt' }, download: false }],
    ['/b/bkt/o/a%2Fb', { kind: 'object', ref: { bucket: 'bkt', name: 'a/b' }, download: false }],
    ['/storage/v1/b/bkt/o/raw/slashes/kept', { kind: 'object', ref: { bucket: 'bkt', name: 'raw/slashes/kept' }, download: false }],
    ['/download/storage/v1/b/bkt/o/x', { kind: 'object', ref: { bucket: 'bkt', name: 'x' }, download: true }],
    [
      '/storage/v1/b/src/o/a%2Fb/rewriteTo/b/dst/o/c%2Fd',
      { kind: 'rewrite', source: { bucket: 'src', name: 'a/b' }, destination: { bucket: 'dst', name: 'c/d' } },
    ],
    ['/storage/v1/b/src/o/x/copyTo/b/dst/o/y', { kind: 'copy', source: { bucket: 'src', name: 'x' }, destination: { bucket: 'dst', name: 'y' } }],
    ['/storage/v1/b/bkt/o/out%2Fall/compose', { kind: 'compose', destination: { bucket: 'bkt', name: 'out/all' } }],
    ['/storage/v1/b/bkt/o/rewriteTo', { kind: 'object', ref: { bucket: 'bkt', name: 'rewriteTo' }, download: false }],
    ['/bkt/dir/file%20name.txt', { kind: 'xmlObject', ref: { bucket: 'bkt', name: 'dir/file name.txt' } }],
    ['/bkt', { kind: 'unknown' }],
    ['/storage/v1/b/bkt/x', { kind: 'unknown' }],
  ])('%s', (path, expected) => {
    expect(parseRoute(path)).toEqual(expected);
  });

  test('malformed percent-encoding is a 400', () => {
    expect(() => parseRoute('/storage/v1/b/bkt/o/%E0%A4%A')).toThrow(expect.objectContaining({ status: 400 }));
  });
});
