import pg from 'pg';

/**
 * How the PostgreSQL store reads column values, so that its rows look like the SQLite store's and
 * the same mappers (toJobRow…) read both:
 * - timestamptz → the toISOString() text the SQLite store keeps (ms precision: every time written
 *   comes from a JS Date, so nothing is lost);
 * - jsonb → its JSON text, unparsed, as SQLite's TEXT cells hold it;
 * - bigint (ids, COUNT, byte sizes) and numeric (AVG, SUM) → numbers, as SQLite answers them.
 *   Byte counts stay far below 2^53.
 */
export function pgTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => Date;
  types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (text: string) => parseTimestamptz(text).toISOString());
  types.setTypeParser(pg.types.builtins.JSONB, (text: string) => text);
  types.setTypeParser(pg.types.builtins.JSON, (text: string) => text);
  types.setTypeParser(pg.types.builtins.INT8, Number);
  types.setTypeParser(pg.types.builtins.NUMERIC, Number);
  return types;
}
