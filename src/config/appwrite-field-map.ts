import { isRecordField, RECORD_FIELDS, type RecordField } from '../domain/record-fields.js';

/** Appwrite's own rule for ids and column keys: letters, digits, `.`, `-`, `_`, not first; at most 36. */
export const APPWRITE_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$/;

/**
 * "hls_url:stream_url, poster_url:thumbnail" → { hls_url: 'stream_url', poster_url: 'thumbnail' }.
 * Returns problems instead of throwing, so config validation reports them with the others.
 */
export function parseFieldMap(text: string): { map: Partial<Record<RecordField, string>>; problems: string[] } {
  const map: Partial<Record<RecordField, string>> = {};
  const problems: string[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [field = '', column = '', ...rest] = part.split(':').map((s) => s.trim());
    if (!isRecordField(field)) {
      problems.push(`"${part}": "${field}" is not a record field (one of ${RECORD_FIELDS.join(', ')})`);
    } else if (rest.length > 0 || !APPWRITE_KEY_PATTERN.test(column)) {
      problems.push(`"${part}": the column must be an Appwrite key (letters, digits, . _ -, up to 36)`);
    } else if (map[field] !== undefined) {
      problems.push(`"${part}": ${field} is mapped twice`);
    } else {
      map[field] = column;
    }
  }
  const targets = Object.values(map);
  if (new Set(targets).size !== targets.length) problems.push('two fields are mapped to the same column');
  return { map, problems };
}
