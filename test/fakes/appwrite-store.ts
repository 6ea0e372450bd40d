/**
 * The data model of the fake Appwrite server: databases, tables, columns (built asynchronously, like
 * the server's workers do), indexes and rows, with the server's validation and error types.
 */

/** An error the server answers with `{message, code, type, version}`. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export type FakeRow = Record<string, unknown> & { $id: string; $sequence: string; $createdAt: string; $updatedAt: string };

export interface FakeColumn {
  key: string;
  /** The model's type: string (url, enum), varchar, text, integer, double, datetime. */
  type: string;
  format?: string;
  status: 'processing' | 'available';
  required: boolean;
  array: boolean;
  size?: number;
  elements?: string[];
  min?: number;
  max?: number;
  default: unknown;
  $createdAt: string;
  $updatedAt: string;
}

export interface FakeIndex {
  key: string;
  type: string;
  columns: string[];
  orders: string[];
  $createdAt: string;
}

export interface FakeTable {
  $id: string;
  name: string;
  databaseId: string;
  permissions: string[];
  rowSecurity: boolean;
  columns: FakeColumn[];
  indexes: FakeIndex[];
  rows: Map<string, FakeRow>;
  sequence: number;
  $createdAt: string;
  $updatedAt: string;
}

export interface FakeDatabase {
  $id: string;
  name: string;
  tables: Map<string, FakeTable>;
  $createdAt: string;
  $updatedAt: string;
}

/** The server's datetime format: `2024-05-01T10:00:00.123+00:00`. */
export function appwriteTime(date: Date | number = new Date()): string {
  return new Date(date).toISOString().replace('Z', '+00:00');
}

export const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$/;

function checkValue(column: FakeColumn, value: unknown): unknown {
  const bad = (why: string): ApiError =>
    new ApiError(400, 'row_invalid_structure', `Invalid document structure: Attribute "${column.key}" has invalid type. ${why}`);
  if (value === null || value === undefined) {
    if (column.required)
      throw new ApiError(400, 'row_invalid_structure', `Invalid document structure: Missing required attribute "${column.key}"`);
    return null;
  }
  if (column.array) {
    if (!Array.isArray(value)) throw bad('Value must be an array');
    return value.map((item) => checkValue({ ...column, array: false, required: true }, item));
  }
  switch (column.type) {
    case 'integer':
    case 'double':
      if (typeof value !== 'number' || (column.type === 'integer' && !Number.isInteger(value)))
        throw bad(`Value must be a valid ${column.type}`);
      if ((column.min !== undefined && value < column.min) || (column.max !== undefined && value > column.max))
        throw bad(`Value must be a valid range between ${column.min} and ${column.max}`);
      return value;
    case 'datetime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw bad('Value must be valid date');
      return appwriteTime(Date.parse(value));
    default: {
      if (typeof value !== 'string') throw bad('Value must be a valid string');
      if (column.size !== undefined && value.length > column.size)
        throw bad(`Value must be a valid string and no longer than ${column.size} chars`);
      if (column.format === 'url' && !/^https?:\/\/[^\s/]+/.test(value)) throw bad('Value must be a valid URL');
      if (column.format === 'enum' && !column.elements?.includes(value)) throw bad(`Value must be one of (${column.elements?.join(', ')})`);
      return value;
    }
  }
}

/** Validates `data` against the available columns; unknown keys are refused like the server does. */
export function validateRowData(table: FakeTable, data: Record<string, unknown>): Record<string, unknown> {
  const columns = new Map(table.columns.filter((c) => c.status === 'available').map((c) => [c.key, c]));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key.startsWith('$')) continue;
    const column = columns.get(key);
    if (!column) throw new ApiError(400, 'row_invalid_structure', `Invalid document structure: Unknown attribute: "${key}"`);
    out[key] = checkValue(column, value);
  }
  return out;
}

/**
 * The row as it would be after an update, checked column by column like the server does before
 * writing: a required column still NULL (an old row, from before the column) fails the update.
 */
export function checkWholeRow(table: FakeTable, row: Record<string, unknown>): void {
  for (const column of table.columns) if (column.status === 'available') checkValue(column, row[column.key]);
}

/**
 * The server's worker has built the column. Rows that were already there hold NULL in it: the
 * default only applies to rows created from now on.
 */
export function makeAvailable(table: FakeTable, column: FakeColumn): void {
  column.status = 'available';
  for (const row of table.rows.values()) if (!(column.key in row)) row[column.key] = null;
}

/** A new row: defaults for every column not given, required ones checked. */
export function buildRow(table: FakeTable, id: string, data: Record<string, unknown>, now: Date): FakeRow {
  const given = validateRowData(table, data);
  const row: FakeRow = {
    $id: id,
    $sequence: String((table.sequence += 1)),
    $createdAt: appwriteTime(now),
    $updatedAt: appwriteTime(now),
    $permissions: [],
    $databaseId: table.databaseId,
    $tableId: table.$id,
  };
  for (const column of table.columns.filter((c) => c.status === 'available')) {
    row[column.key] = column.key in given ? given[column.key] : checkValue(column, column.default ?? null);
  }
  return row;
}

/** The column as the API lists it. */
export function columnJson(column: FakeColumn): Record<string, unknown> {
  const { min, max, size, elements, format, ...common } = column;
  return {
    ...common,
    error: '',
    ...(size === undefined ? {} : { size }),
    ...(format === undefined ? {} : { format }),
    ...(elements === undefined ? {} : { elements }),
    ...(column.type === 'integer' || column.type === 'double' ? { min: min ?? -9007199254740991, max: max ?? 9007199254740991 } : {}),
  };
}

export function indexJson(index: FakeIndex): Record<string, unknown> {
  return {
    $id: index.key,
    $createdAt: index.$createdAt,
    $updatedAt: index.$createdAt,
    key: index.key,
    type: index.type,
    status: 'available',
    error: '',
    columns: index.columns,
    lengths: [],
    orders: index.orders,
  };
}

export function tableJson(table: FakeTable): Record<string, unknown> {
  return {
    $id: table.$id,
    $createdAt: table.$createdAt,
    $updatedAt: table.$updatedAt,
    $permissions: table.permissions,
    databaseId: table.databaseId,
    name: table.name,
    enabled: true,
    rowSecurity: table.rowSecurity,
    columns: table.columns.map(columnJson),
    indexes: table.indexes.map(indexJson),
    bytesMax: 65535,
    bytesUsed: 0,
  };
}

/** Type and format of a column created through `POST …/columns/<kind>`. */
export function columnShape(
  kind: string,
  body: Record<string, unknown>,
): Pick<FakeColumn, 'type' | 'format' | 'size' | 'elements' | 'min' | 'max'> {
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  switch (kind) {
    case 'url':
      return { type: 'string', format: 'url' };
    case 'enum':
      if (!Array.isArray(body.elements) || body.elements.length === 0)
        throw new ApiError(400, 'general_argument_invalid', 'Invalid `elements` param');
      return { type: 'string', format: 'enum', elements: body.elements.map(String) };
    case 'integer':
    case 'float':
      return { type: kind === 'float' ? 'double' : 'integer', min: num(body.min), max: num(body.max) };
    case 'datetime':
      return { type: 'datetime', format: 'datetime' };
    case 'varchar':
      if (!Number.isInteger(body.size) || (body.size as number) < 1 || (body.size as number) > 16381)
        throw new ApiError(400, 'general_argument_invalid', 'Invalid `size` param');
      return { type: 'varchar', size: body.size as number };
    case 'text':
      return { type: 'text' };
    case 'string':
      if (!Number.isInteger(body.size) || (body.size as number) < 1 || (body.size as number) > 1_073_741_824)
        throw new ApiError(400, 'general_argument_invalid', 'Invalid `size` param');
      return { type: 'string', size: body.size as number };
    default:
      throw new ApiError(404, 'general_route_not_found', 'The requested route was not found.');
  }
}
