/**
 * Shapes of the google.firestore.v1 messages as @grpc/proto-loader decodes them with the
 * options in `proto.ts`: camelCase keys, int64 as decimal strings, enums as names (an
 * unknown enum number stays a number), bytes as Buffer, unset message fields null,
 * repeated fields [], oneof members present only when set plus a property naming the
 * set member. Protobuf decoding is the parse step for gRPC input; semantic checks (names,
 * values, queries) happen where each request is handled. Responses are written in the
 * same shapes (protobufjs' fromObject ignores the oneof-naming properties).
 */

export interface WireTimestamp {
  seconds: string | number;
  nanos: number;
}

export interface WireLatLng {
  latitude: number;
  longitude: number;
}

/** A stored, checked value (see `values.ts` checkValue). */
export type Value =
  | { valueType: 'nullValue'; nullValue: 'NULL_VALUE' }
  | { valueType: 'booleanValue'; booleanValue: boolean }
  | { valueType: 'integerValue'; integerValue: string }
  | { valueType: 'doubleValue'; doubleValue: number }
  | { valueType: 'timestampValue'; timestampValue: WireTimestamp }
  | { valueType: 'stringValue'; stringValue: string }
  | { valueType: 'bytesValue'; bytesValue: Buffer }
  | { valueType: 'referenceValue'; referenceValue: string }
  | { valueType: 'geoPointValue'; geoPointValue: WireLatLng }
  | { valueType: 'arrayValue'; arrayValue: { values: Value[] } }
  | { valueType: 'mapValue'; mapValue: { fields: Fields } };

export type Fields = Record<string, Value>;

/** A value as decoded, before `checkValue`: possibly empty or a pipeline-only member. */
export interface WireValue {
  valueType?: string;
  [member: string]: unknown;
}

export interface WireDocument {
  name: string;
  fields: Record<string, WireValue>;
  createTime: WireTimestamp | null;
  updateTime: WireTimestamp | null;
}

/** A document as answered. */
export interface OutDocument {
  name: string;
  fields?: Fields;
  createTime?: WireTimestamp;
  updateTime?: WireTimestamp;
}

export interface WireDocumentMask {
  fieldPaths: string[];
}

export interface WirePrecondition {
  exists?: boolean;
  updateTime?: WireTimestamp;
  conditionType?: 'exists' | 'updateTime';
}

export interface WireTransactionOptions {
  readOnly?: { readTime?: WireTimestamp; consistencySelector?: 'readTime' };
  readWrite?: { retryTransaction: Buffer };
  mode?: 'readOnly' | 'readWrite';
}

/** The consistency selector shared by reads. */
export interface WireConsistency {
  transaction?: Buffer;
  newTransaction?: WireTransactionOptions;
  readTime?: WireTimestamp;
  consistencySelector?: 'transaction' | 'newTransaction' | 'readTime';
}

export interface WireFieldTransform {
  fieldPath: string;
  setToServerValue?: string | number;
  increment?: WireValue;
  maximum?: WireValue;
  minimum?: WireValue;
  appendMissingElements?: { values: WireValue[] };
  removeAllFromArray?: { values: WireValue[] };
  transformType?: 'setToServerValue' | 'increment' | 'maximum' | 'minimum' | 'appendMissingElements' | 'removeAllFromArray';
}

export interface WireWrite {
  update?: WireDocument;
  delete?: string;
  transform?: { document: string; fieldTransforms: WireFieldTransform[] };
  operation?: 'update' | 'delete' | 'transform';
  updateMask: WireDocumentMask | null;
  updateTransforms: WireFieldTransform[];
  currentDocument: WirePrecondition | null;
}

export interface WireWriteResult {
  updateTime?: WireTimestamp;
  transformResults: Value[];
}

export interface WireFieldReference {
  fieldPath: string;
}

export interface WireFilter {
  compositeFilter?: { op: string | number; filters: WireFilter[] };
  fieldFilter?: { field: WireFieldReference | null; op: string | number; value: WireValue | null };
  unaryFilter?: { op: string | number; field?: WireFieldReference };
  filterType?: 'compositeFilter' | 'fieldFilter' | 'unaryFilter';
}

export interface WireCursor {
  values: WireValue[];
  before: boolean;
}

export interface WireStructuredQuery {
  select: { fields: WireFieldReference[] } | null;
  from: Array<{ collectionId: string; allDescendants: boolean }>;
  where: WireFilter | null;
  orderBy: Array<{ field: WireFieldReference | null; direction: string | number }>;
  startAt: WireCursor | null;
  endAt: WireCursor | null;
  offset: number;
  limit: { value: number } | null;
  findNearest: unknown;
}

export interface WireAggregation {
  count?: { upTo: { value: string | number } | null };
  sum?: { field: WireFieldReference | null };
  avg?: { field: WireFieldReference | null };
  operator?: 'count' | 'sum' | 'avg';
  alias: string;
}

export interface GetDocumentRequest extends WireConsistency {
  name: string;
  mask: WireDocumentMask | null;
}

export interface ListDocumentsRequest extends WireConsistency {
  parent: string;
  collectionId: string;
  pageSize: number;
  pageToken: string;
  orderBy: string;
  mask: WireDocumentMask | null;
  showMissing: boolean;
}

export interface ListDocumentsResponse {
  documents: OutDocument[];
  nextPageToken: string;
}

export interface BatchGetDocumentsRequest extends WireConsistency {
  database: string;
  documents: string[];
  mask: WireDocumentMask | null;
}

export interface BatchGetDocumentsResponse {
  found?: OutDocument;
  missing?: string;
  transaction?: Buffer;
  readTime: WireTimestamp;
}

export interface BeginTransactionRequest {
  database: string;
  options: WireTransactionOptions | null;
}

export interface CommitRequest {
  database: string;
  writes: WireWrite[];
  transaction: Buffer;
}

export interface CommitResponse {
  writeResults: WireWriteResult[];
  commitTime: WireTimestamp;
}

export interface RollbackRequest {
  database: string;
  transaction: Buffer;
}

export interface RunQueryRequest extends WireConsistency {
  parent: string;
  structuredQuery?: WireStructuredQuery;
  explainOptions: { analyze: boolean } | null;
}

export interface RunQueryResponse {
  document?: OutDocument;
  transaction?: Buffer;
  readTime: WireTimestamp;
  skippedResults?: number;
  done?: boolean;
}

export interface RunAggregationQueryRequest extends WireConsistency {
  parent: string;
  structuredAggregationQuery?: { structuredQuery?: WireStructuredQuery; aggregations: WireAggregation[] };
  explainOptions: { analyze: boolean } | null;
}

export interface RunAggregationQueryResponse {
  result: { aggregateFields: Fields };
  transaction?: Buffer;
  readTime: WireTimestamp;
}

export interface PartitionQueryRequest {
  parent: string;
  structuredQuery?: WireStructuredQuery;
  partitionCount: string;
  pageToken: string;
  pageSize: number;
}

export interface ListCollectionIdsRequest {
  parent: string;
  pageSize: number;
  pageToken: string;
  readTime?: WireTimestamp;
}

export interface BatchWriteRequest {
  database: string;
  writes: WireWrite[];
  labels: Record<string, string>;
}

export interface BatchWriteResponse {
  writeResults: WireWriteResult[];
  status: Array<{ code: number; message: string }>;
}

export interface UpdateDocumentRequest {
  document: WireDocument | null;
  updateMask: WireDocumentMask | null;
  mask: WireDocumentMask | null;
  currentDocument: WirePrecondition | null;
}

export interface DeleteDocumentRequest {
  name: string;
  currentDocument: WirePrecondition | null;
}

export interface CreateDocumentRequest {
  parent: string;
  collectionId: string;
  documentId: string;
  document: WireDocument | null;
  mask: WireDocumentMask | null;
}
