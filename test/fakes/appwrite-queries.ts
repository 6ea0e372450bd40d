/**
 * Appwrite's list queries as the server reads them: each `queries[N]` parameter is the JSON of one
 * `Query.*` call ({method, attribute, values}). Filters, ordering (nulls first ascending, ties by
 * `$sequence` like the server's cursor ordering), limit (default 25), offset and cursorAfter.
 */
import { ApiError, type FakeRow } from './appwrite-store.js';

export interface ParsedQuery {
  readonly method: string;
  readonly attribute?: string;
  readonly values?: readonly unknown[];
}

export interface ListPlan {
  readonly filters: ParsedQuery[];
  readonly orders: Array<{ attribute: string; desc: boolean }>;
  readonly limit: number;
  readonly offset: number;
  readonly cursorAfter: string | null;
}

const FILTERS = new Set([
  'equal',
  'notEqual',
  'lessThan',
  'lessThanEqual',
  'greaterThan',
  'greaterThanEqual',
  'isNull',
  'isNotNull',
  'startsWith',
  'or',
  'and',
]);
const SYSTEM = new Set(['$id', '$sequence', '$createdAt', '$updatedAt']);
const MAX_QUERIES = 100;

function invalid(message: string): ApiError {
  return new ApiError(400, 'general_query_invalid', `Invalid query: ${message}`);
}

/** The `queries[N]` parameters, in order of N. */
export function queriesFromSearch(params: URLSearchParams): ParsedQuery[] {
  const indexed: Array<[number, string]> = [];
  for (const [name, value] of params) {
    const match = /^queries\[(\d+)\]$/.exec(name);
    if (match) indexed.push([Number(match[1]), value]);
  }
  if (indexed.length > MAX_QUERIES) throw invalid(`Value must be an array of no more than ${MAX_QUERIES} items`);
  return indexed.sort((a, b) => a[0] - b[0]).map(([, text]) => parseQuery(text));
}

function parseQuery(text: string): ParsedQuery {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalid(`Invalid query: ${text}`);
  }
  if (typeof raw !== 'object' || raw === null || typeof (raw as ParsedQuery).method !== 'string') throw invalid(`Invalid query: ${text}`);
  return raw as ParsedQuery;
}

/** Splits queries into a plan, checking every attribute against the available columns. */
export function planList(queries: readonly ParsedQuery[], columns: ReadonlySet<string>): ListPlan {
  const plan: ListPlan = { filters: [], orders: [], limit: 25, offset: 0, cursorAfter: null };
  const checkAttribute = (attribute: string | undefined): string => {
    if (!attribute || (!SYSTEM.has(attribute) && !columns.has(attribute)))
      throw invalid(`Attribute not found in schema: ${attribute ?? ''}`);
    return attribute;
  };
  const checkFilter = (q: ParsedQuery): void => {
    if (q.method === 'or' || q.method === 'and') {
      if (!Array.isArray(q.values) || q.values.length < 2) throw invalid(`${q.method} queries require at least two queries`);
      for (const nested of q.values as ParsedQuery[]) {
        if (!FILTERS.has(nested.method)) throw invalid(`${q.method} queries can only contain filter queries`);
        checkFilter(nested);
      }
      return;
    }
    checkAttribute(q.attribute);
  };
  let limit: number | null = null;
  for (const q of queries) {
    const first = q.values?.[0];
    if (FILTERS.has(q.method)) {
      checkFilter(q);
      plan.filters.push(q);
    } else if (q.method === 'orderAsc' || q.method === 'orderDesc') {
      plan.orders.push({ attribute: checkAttribute(q.attribute), desc: q.method === 'orderDesc' });
    } else if (q.method === 'limit') {
      if (!Number.isInteger(first) || (first as number) < 0 || (first as number) > 5000) throw invalid('Invalid limit param');
      limit = first as number;
    } else if (q.method === 'offset') {
      if (!Number.isInteger(first) || (first as number) < 0) throw invalid('Invalid offset param');
      (plan as { offset: number }).offset = first as number;
    } else if (q.method === 'cursorAfter') {
      (plan as { cursorAfter: string | null }).cursorAfter = String(first);
    } else {
      throw invalid(`Invalid query method: ${q.method}`);
    }
  }
  return { ...plan, limit: limit ?? 25 };
}

/** Compares as the database would: datetimes by instant, numbers numerically, strings lexically. */
function compare(a: unknown, b: unknown, datetime: boolean): number {
  if (datetime) return Date.parse(String(a)) - Date.parse(String(b));
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function matches(row: FakeRow, q: ParsedQuery, isDatetime: (attribute: string) => boolean): boolean {
  if (q.method === 'or') return (q.values as ParsedQuery[]).some((n) => matches(row, n, isDatetime));
  if (q.method === 'and') return (q.values as ParsedQuery[]).every((n) => matches(row, n, isDatetime));
  const attribute = q.attribute ?? '';
  const value = row[attribute];
  const dt = isDatetime(attribute);
  const target = q.values?.[0];
  switch (q.method) {
    case 'isNull':
      return value === null || value === undefined;
    case 'isNotNull':
      return value !== null && value !== undefined;
    case 'equal':
      return value !== null && value !== undefined && (q.values ?? []).some((v) => compare(value, v, dt) === 0);
    case 'notEqual':
      return value === null || value === undefined || compare(value, target, dt) !== 0;
    case 'startsWith':
      return typeof value === 'string' && value.startsWith(String(target));
    default: {
      if (value === null || value === undefined) return false;
      const c = compare(value, target, dt);
      return q.method === 'lessThan' ? c < 0 : q.method === 'lessThanEqual' ? c <= 0 : q.method === 'greaterThan' ? c > 0 : c >= 0;
    }
  }
}

/** Filters, orders and pages `rows`; `total` counts every match, as the server's does. */
export function runList(
  rows: readonly FakeRow[],
  plan: ListPlan,
  isDatetime: (attribute: string) => boolean,
): { total: number; rows: FakeRow[] } {
  const matched = rows.filter((row) => plan.filters.every((q) => matches(row, q, isDatetime)));
  const order = (a: FakeRow, b: FakeRow): number => {
    for (const { attribute, desc } of plan.orders) {
      const x = a[attribute];
      const y = b[attribute];
      const nx = x === null || x === undefined;
      const ny = y === null || y === undefined;
      if (nx !== ny) return (nx ? -1 : 1) * (desc ? -1 : 1);
      if (!nx && !ny) {
        const c = compare(x, y, isDatetime(attribute));
        if (c !== 0) return desc ? -c : c;
      }
    }
    return Number(a.$sequence) - Number(b.$sequence);
  };
  matched.sort(order);
  let after = matched;
  if (plan.cursorAfter !== null) {
    // Like the server: the cursor row is read by id, and the page starts after its place in the order.
    const cursor = rows.find((row) => row.$id === plan.cursorAfter);
    if (!cursor) throw new ApiError(400, 'general_cursor_not_found', `Cursor not found: ${plan.cursorAfter}`);
    after = matched.filter((row) => order(row, cursor) > 0);
  }
  return { total: matched.length, rows: after.slice(plan.offset, plan.offset + plan.limit) };
}
