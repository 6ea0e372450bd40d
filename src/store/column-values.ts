/** Reading SQLite column values (unknown from better-sqlite3) into the store's typed rows. */

export const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
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
