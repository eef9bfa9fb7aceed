import { Database, type StoredDocument } from '../../local/firestore/database';

function doc(path: string): StoredDocument {
  return { name: `projects/p/databases/d/documents/${path}`, path, segments: path.split('/'), fields: {}, createTime: 1, updateTime: 1 };
}

describe('Database indexes', () => {
  test('collections know their documents, the missing documents above deeper ones, and their child collections', () => {
    const db = new Database('projects/p/databases/d');
    db.put(doc('a/1'));
    db.put(doc('a/2/b/3'));
    db.put(doc('a/2/c/4/d/5'));
    expect(db.collection('a')!.ids(false)).toEqual(['1']);
    expect(db.collection('a')!.ids(true)).toEqual(['1', '2']);
    expect(db.childCollectionIds('')).toEqual(['a']);
    expect(db.childCollectionIds('a/2')).toEqual(['b', 'c']);
    expect(db.childCollectionIds('a/2/c/4')).toEqual(['d']);

    db.remove('a/2/b/3');
    expect(db.childCollectionIds('a/2')).toEqual(['c']);
    expect(db.collection('a')!.ids(true)).toEqual(['1', '2']);
    db.remove('a/2/c/4/d/5');
    expect(db.collection('a')!.ids(true)).toEqual(['1']);
    expect(db.childCollectionIds('a/2')).toEqual([]);
    expect(db.collection('a/2/c')).toBeUndefined();
    db.remove('a/1');
    expect(db.collection('a')).toBeUndefined();
    expect(db.childCollectionIds('')).toEqual([]);
    expect(db.size).toBe(0);
  });

  test('collection groups find every collection with an id under a parent', () => {
    const db = new Database('projects/p/databases/d');
    for (const p of ['g/1', 'x/1/g/2', 'x/1/y/2/g/3', 'z/1/g/4', 'x/1/gg/5']) db.put(doc(p));
    expect(
      db
        .group('g', '')
        .map((n) => n.path)
        .sort(),
    ).toEqual(['g', 'x/1/g', 'x/1/y/2/g', 'z/1/g']);
    expect(
      db
        .group('g', 'x/1')
        .map((n) => n.path)
        .sort(),
    ).toEqual(['x/1/g', 'x/1/y/2/g']);
    expect(
      db
        .allUnder('x/1')
        .map((n) => n.path)
        .sort(),
    ).toEqual(['x/1/g', 'x/1/gg', 'x/1/y', 'x/1/y/2/g']);
  });

  test('replacing a document does not change the counts', () => {
    const db = new Database('projects/p/databases/d');
    db.put(doc('a/1/b/2'));
    db.put(doc('a/1/b/2'));
    db.remove('a/1/b/2');
    expect(db.collection('a')).toBeUndefined();
  });
});
