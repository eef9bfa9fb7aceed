/**
 * One database's documents in memory: a map by path (O(1) get/put/remove) and an index per
 * collection that queries scan. Each collection also counts the documents below each of its
 * document ids (in subcollections), which is what listDocuments' "missing" documents and
 * listCollectionIds need.
 */
import { compareSegment, isUnder } from './names';
import type { Fields } from './wire';

export interface StoredDocument {
  /** Full resource name. */
  readonly name: string;
  /** Relative to the documents root, e.g. "rooms/r1/messages/m1". */
  readonly path: string;
  readonly segments: readonly string[];
  /** Never mutated: writes build new maps. */
  readonly fields: Fields;
  /** Microseconds since the epoch. */
  readonly createTime: number;
  readonly updateTime: number;
}

export class CollectionNode {
  readonly docs = new Map<string, StoredDocument>();
  /** Per document id (existing or not): how many existing documents lie in its subcollections. */
  readonly below = new Map<string, number>();
  /** Existing documents in this collection and everything under it. */
  total = 0;
  private sortedIds: string[] | undefined;

  constructor(
    readonly path: string,
    readonly id: string,
    readonly parentPath: string,
  ) {}

  /** Ids of existing documents and, with `withMissing`, of absent ones that have documents below them; in Firestore order. */
  ids(withMissing: boolean): string[] {
    this.sortedIds ??= [...new Set([...this.docs.keys(), ...this.below.keys()])].sort(compareSegment);
    return withMissing ? this.sortedIds : this.sortedIds.filter((id) => this.docs.has(id));
  }

  invalidateOrder(): void {
    this.sortedIds = undefined;
  }
}

function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at === -1 ? '' : path.slice(0, at);
}

export class Database {
  private readonly docs = new Map<string, StoredDocument>();
  private readonly collections = new Map<string, CollectionNode>();
  /** Parent document path ("" for the root) → its collections by id. */
  private readonly children = new Map<string, Map<string, CollectionNode>>();
  /** Collection id → every collection with that id (collection-group queries). */
  private readonly groups = new Map<string, Set<CollectionNode>>();

  constructor(readonly name: string) {}

  get size(): number {
    return this.docs.size;
  }

  get(path: string): StoredDocument | undefined {
    return this.docs.get(path);
  }

  put(doc: StoredDocument): void {
    const existed = this.docs.has(doc.path);
    this.docs.set(doc.path, doc);
    const collectionPath = parentOf(doc.path);
    const node = this.nodeFor(collectionPath);
    const id = doc.segments[doc.segments.length - 1]!;
    node.docs.set(id, doc);
    if (!existed) {
      if (!node.below.has(id)) node.invalidateOrder();
      this.count(doc.segments, 1);
    }
  }

  remove(path: string): void {
    const doc = this.docs.get(path);
    if (doc === undefined) return;
    this.docs.delete(path);
    const node = this.collections.get(parentOf(path))!;
    const id = doc.segments[doc.segments.length - 1]!;
    node.docs.delete(id);
    if (!node.below.has(id)) node.invalidateOrder();
    this.count(doc.segments, -1);
  }

  collection(path: string): CollectionNode | undefined {
    return this.collections.get(path);
  }

  /** Collections with this id anywhere under `parentPath` ("" = the whole database). */
  group(collectionId: string, parentPath: string): CollectionNode[] {
    const nodes = this.groups.get(collectionId);
    if (nodes === undefined) return [];
    return [...nodes].filter((n) => isUnder(n.path, parentPath));
  }

  /** Every collection under `parentPath` (kindless collection-group queries, as recursiveDelete runs). */
  allUnder(parentPath: string): CollectionNode[] {
    return [...this.collections.values()].filter((n) => isUnder(n.path, parentPath));
  }

  /** Ids of the collections directly under a document ("" = root) that hold documents at any depth. */
  childCollectionIds(parentPath: string): string[] {
    const nodes = this.children.get(parentPath);
    return nodes === undefined ? [] : [...nodes.keys()].sort(compareSegment);
  }

  clear(): void {
    this.docs.clear();
    this.collections.clear();
    this.children.clear();
    this.groups.clear();
  }

  private nodeFor(path: string): CollectionNode {
    let node = this.collections.get(path);
    if (node === undefined) {
      const parentPath = parentOf(path);
      const id = path.slice(parentPath === '' ? 0 : parentPath.length + 1);
      node = new CollectionNode(path, id, parentPath);
      this.collections.set(path, node);
      const siblings = this.children.get(parentPath) ?? new Map<string, CollectionNode>();
      this.children.set(parentPath, siblings);
      siblings.set(id, node);
      const group = this.groups.get(id) ?? new Set<CollectionNode>();
      this.groups.set(id, group);
      group.add(node);
    }
    return node;
  }

  /** Adjusts the counts of every collection on the document's path (and of the documents above it). */
  private count(segments: readonly string[], delta: 1 | -1): void {
    let path = '';
    for (let k = 0; k < segments.length; k += 2) {
      path = k === 0 ? segments[0]! : `${path}/${segments[k - 1]}/${segments[k]}`;
      const node = this.nodeFor(path);
      node.total += delta;
      if (k + 2 < segments.length) {
        const id = segments[k + 1]!;
        const n = (node.below.get(id) ?? 0) + delta;
        if (n === 0) {
          node.below.delete(id);
          if (!node.docs.has(id)) node.invalidateOrder();
        } else {
          if (!node.below.has(id) && !node.docs.has(id)) node.invalidateOrder();
          node.below.set(id, n);
        }
      }
      if (node.total === 0) this.dropNode(node);
    }
  }

  private dropNode(node: CollectionNode): void {
    this.collections.delete(node.path);
    const siblings = this.children.get(node.parentPath);
    siblings?.delete(node.id);
    if (siblings?.size === 0) this.children.delete(node.parentPath);
    const group = this.groups.get(node.id);
    group?.delete(node);
    if (group?.size === 0) this.groups.delete(node.id);
  }
}
