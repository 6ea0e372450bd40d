/**
 * Appwrite's list queries as the server reads them: each `queries[N]` parameter is the JSON of one
 * `Query.*` call ({method, attribute, values}). Filters, select, ordering (nulls first ascending,
 * ties broken by `$sequence` as the server does), limit (1 or more, default 25), offset and
 * cursorAfter.
 */
import { ApiError, type FakeRow } from './appwrite-store.js';

export interface ParsedQuery {
  readonly method: string;
  readonly attribute?: string;
  readonly values?: readonly unknown[];
}

/** What the server knows of a column when it checks a query on it. */
export interface ColumnKind {
  readonly type: string;
  readonly array: boolean;
}

export interface ListPlan {
  readonly filters: ParsedQuery[];
  /** Columns to return besides the system attributes; null = every column. */
  readonly select: string[] | null;
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
  'contains',
  'or',
  'and',
]);
const SYSTEM_KINDS = new Map<string, ColumnKind>([
  ['$id', { type: 'string', array: false }],
  ['$sequence', { type: 'integer', array: false }],
  ['$createdAt', { type: 'datetime', array: false }],
  ['$updatedAt', { type: 'datetime', array: false }],
]);
const SYSTEM = new Set(SYSTEM_KINDS.keys());
/** Column types `contains` takes as a substring test (the server also takes arrays, element by element). */
const STRING_TYPES = new Set(['string', 'varchar', 'text', 'mediumtext', 'longtext']);
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

/** Splits queries into a plan, checking every attribute (and what a filter may do with it) against the available columns. */
export function planList(queries: readonly ParsedQuery[], columns: ReadonlyMap<string, ColumnKind>): ListPlan {
  const plan = { filters: [] as ParsedQuery[], select: null as string[] | null, orders: [] as ListPlan['orders'], offset: 0 };
  let limit = 25;
  let cursorAfter: string | null = null;
  const kindOf = (attribute: string | undefined): ColumnKind => {
    const kind = attribute === undefined ? undefined : (SYSTEM_KINDS.get(attribute) ?? columns.get(attribute));
    if (!kind) throw invalid(`Attribute not found in schema: ${attribute ?? ''}`);
    return kind;
  };
  for (const q of queries) {
    const first = q.values?.[0];
    if (FILTERS.has(q.method)) {
      checkFilter(q, kindOf);
      plan.filters.push(q);
    } else if (q.method === 'select') {
      plan.select = [...(plan.select ?? []), ...checkSelect(q, columns)];
    } else if (q.method === 'orderAsc' || q.method === 'orderDesc') {
      kindOf(q.attribute);
      plan.orders.push({ attribute: q.attribute ?? '', desc: q.method === 'orderDesc' });
    } else if (q.method === 'limit') {
      // The server's range starts at 1: a count-only request still asks for one row.
      if (!Number.isInteger(first) || (first as number) < 1 || (first as number) > 5000) throw invalid('Invalid limit param');
      limit = first as number;
    } else if (q.method === 'offset') {
      if (!Number.isInteger(first) || (first as number) < 0) throw invalid('Invalid offset param');
      plan.offset = first as number;
    } else if (q.method === 'cursorAfter') {
      cursorAfter = String(first);
    } else {
      throw invalid(`Invalid query method: ${q.method}`);
    }
  }
  return { ...plan, limit, cursorAfter };
}

function checkFilter(q: ParsedQuery, kindOf: (attribute: string | undefined) => ColumnKind): void {
  if (q.method === 'or' || q.method === 'and') {
    if (!Array.isArray(q.values) || q.values.length < 2) throw invalid(`${q.method} queries require at least two queries`);
    for (const nested of q.values as ParsedQuery[]) {
      if (!FILTERS.has(nested.method)) throw invalid(`${q.method} queries can only contain filter queries`);
      checkFilter(nested, kindOf);
    }
    return;
  }
  const kind = kindOf(q.attribute);
  const onArray = q.method === 'contains' || q.method === 'isNull' || q.method === 'isNotNull';
  if (kind.array && !onArray) throw invalid(`Cannot query ${q.method} on attribute "${q.attribute}" because it is an array.`);
  if (q.method !== 'contains') return;
  if (!Array.isArray(q.values) || q.values.length === 0) throw invalid('Contains queries require at least one value.');
  if (!kind.array && !STRING_TYPES.has(kind.type))
    throw invalid(`Cannot query contains on attribute "${q.attribute}" because it is not an array, string, or object.`);
}

/** The selected columns. The server adds the system attributes to every selection. */
function checkSelect(q: ParsedQuery, columns: ReadonlyMap<string, ColumnKind>): string[] {
  const values = q.values ?? [];
  if (values.length === 0) throw invalid('No attributes selected');
  if (new Set(values).size !== values.length) throw invalid('Duplicate attributes selected');
  for (const value of values) {
    if (typeof value !== 'string') throw invalid(`Attribute selection must be a string, got ${typeof value}`);
    if (value !== '*' && !SYSTEM.has(value) && !columns.has(value)) throw invalid(`Attribute not found in schema: ${value}`);
  }
  return values as string[];
}

/** The row as a selection returns it: every system attribute (`$…`), and the selected columns only. */
function selectColumns(row: FakeRow, select: readonly string[] | null): FakeRow {
  if (select === null || select.includes('*')) return row;
  return Object.fromEntries(Object.entries(row).filter(([key]) => key.startsWith('$') || select.includes(key))) as FakeRow;
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
    case 'contains':
      // An array column holds one of the values. A string column contains one as a substring, as the
      // server's LIKE '%value%' (wildcards escaped) finds it: case-insensitively, under the text
      // collation of its tables (ILIKE and a case-insensitive regex on its other databases).
      if (Array.isArray(value)) return (q.values ?? []).some((v) => value.includes(v));
      return typeof value === 'string' && (q.values ?? []).some((v) => value.toLowerCase().includes(String(v).toLowerCase()));
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
  const orders = [...plan.orders, ...tieBreak(plan.orders)];
  const order = (a: FakeRow, b: FakeRow): number => {
    for (const { attribute, desc } of orders) {
      const x = a[attribute];
      const y = b[attribute];
      const nx = x === null || x === undefined;
      const ny = y === null || y === undefined;
      if (nx !== ny) return (nx ? -1 : 1) * (desc ? -1 : 1);
      if (!nx && !ny) {
        // $sequence is a number sent as a string.
        const c = attribute === '$sequence' ? Number(x) - Number(y) : compare(x, y, isDatetime(attribute));
        if (c !== 0) return desc ? -c : c;
      }
    }
    return 0;
  };
  matched.sort(order);
  let after = matched;
  if (plan.cursorAfter !== null) {
    // Like the server: the cursor row is read by id, and the page starts after its place in the order.
    const cursor = rows.find((row) => row.$id === plan.cursorAfter);
    if (!cursor) throw new ApiError(400, 'general_cursor_not_found', `Cursor not found: ${plan.cursorAfter}`);
    after = matched.filter((row) => order(row, cursor) > 0);
  }
  return { total: matched.length, rows: after.slice(plan.offset, plan.offset + plan.limit).map((row) => selectColumns(row, plan.select)) };
}

/**
 * The server's last order, so equal values never leave the order (and a cursor's place) open:
 * `$sequence`, in the direction of the first order when that one is `$createdAt` or `$updatedAt`
 * (newest first stays newest first), else ascending; none when an order is already unique.
 */
function tieBreak(orders: ListPlan['orders']): ListPlan['orders'] {
  if (orders.some((o) => o.attribute === '$id' || o.attribute === '$sequence')) return [];
  const lead = orders[0];
  const byTime = lead !== undefined && (lead.attribute === '$createdAt' || lead.attribute === '$updatedAt');
  return [{ attribute: '$sequence', desc: byTime && lead.desc }];
}
