import { isSourceKind, isValidRecordId, type SourceKind, type VideoRecord } from './record.js';

/** `<source>-<record id>`: the directory name under storage/temp and storage/hls, and the API's job address. */
export function jobKey(record: Pick<VideoRecord, 'source' | 'id'>): string {
  return `${record.source}-${record.id}`;
}

/** The inverse of {@link jobKey}; null when the text is not a key of a known source with a valid id. */
export function parseJobKey(key: string): { source: SourceKind; id: string } | null {
  const dash = key.indexOf('-');
  if (dash <= 0) return null;
  const source = key.slice(0, dash);
  const id = key.slice(dash + 1);
  return isSourceKind(source) && isValidRecordId(id) ? { source, id } : null;
}
