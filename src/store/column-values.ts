/** Reading SQLite column values (unknown from better-sqlite3) into the store's typed rows. */

/** A TEXT cell (SQLite may hand back a number for a column declared TEXT); anything else is null. */
export function textOrNull(v: unknown): string | null {
  if (typeof v === 'string') return v;
  return typeof v === 'number' || typeof v === 'bigint' ? String(v) : null;
}
export const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A JSON-array column; null when empty, not JSON or not an array (a damaged cell must not break a listing). */
export function jsonArrayOrNull(text: unknown): unknown[] | null {
  if (typeof text !== 'string') return null;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}
