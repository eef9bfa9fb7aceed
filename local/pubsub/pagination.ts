import { invalidArgument } from './errors';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** Pages a sorted list; the page token is the offset of the next page. */
export function paginate<T>(items: readonly T[], pageSize: number, pageToken: string): { page: T[]; nextPageToken: string } {
  const size = pageSize <= 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
  const start = pageToken === '' ? 0 : Number(pageToken);
  if (!Number.isInteger(start) || start < 0) throw invalidArgument(`Invalid page token: ${pageToken}`);
  const end = start + size;
  return { page: items.slice(start, end), nextPageToken: end < items.length ? String(end) : '' };
}
