/**
 * Human-readable figures shared by alert messages, the daily report and the dashboard, in the
 * dashboard's style ("6.2 / 16 GiB", "8.5 minutes", "14 days, 6 hours", "15 Mbps"). Imports
 * nothing of ours, so every layer may use it.
 *
 * One meaning per unit label, as in the configuration's sizes (src/config/parsers.ts): "MB" is
 * 10⁶ bytes and "MiB" 2²⁰. Byte counts are shown in powers of 1024, so with the IEC labels.
 */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Powers of 1024 with their IEC labels: 16 GiB of RAM reads "16 GiB". */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${trim(value)} ${BYTE_UNITS[unit]}`;
}

/** "6.2 / 16 GiB": both figures in the unit of the total. */
export function formatUsage(used: number, total: number): string {
  const label = formatBytes(total);
  const unit = label.split(' ')[1] ?? 'B';
  const factor = 1024 ** BYTE_UNITS.indexOf(unit);
  // "13.6 / 16 GiB" but "120 / 500 GiB": a decimal only where it is a visible share of the total.
  const value = used / factor;
  return `${total / factor < 100 ? String(Math.round(value * 10) / 10) : Math.round(value)} / ${label}`;
}

/** Bits per second as the reports write them: "15 Mbps", "0.4 Mbps". */
export function formatBitRate(bitsPerSecond: number | null): string {
  if (bitsPerSecond === null) return '—';
  return `${trim(bitsPerSecond / 1e6)} Mbps`;
}

export function formatPercent(value: number | null, digits = 0): string {
  return value === null ? '—' : `${value.toFixed(digits)}%`;
}

/** "8.5 minutes", "45 seconds", "2.1 hours". */
export function formatMinutes(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 60_000) return plural(Math.round(ms / 1000), 'second');
  if (ms < 3_600_000) return `${trim(ms / 60_000)} minutes`;
  return `${trim(ms / 3_600_000)} hours`;
}

/** "14 days, 6 hours", "3 hours, 12 minutes", "5 minutes". */
export function formatUptime(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${plural(days, 'day')}, ${plural(hours, 'hour')}`;
  if (hours > 0) return `${plural(hours, 'hour')}, ${plural(minutes % 60, 'minute')}`;
  return plural(minutes, 'minute');
}

/** Compact, for alert messages: "45 s", "6 min", "2 h 5 min". */
export function formatShortDuration(ms: number): string {
  const seconds = Math.round(Math.max(0, ms) / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  return rest === 0 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 60)} h ${rest} min`;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** One decimal below 10, none above: "6.2", "16", "120". */
function trim(value: number): string {
  const rounded = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  return String(rounded);
}

/** "2025-10-22 14:03 UTC" from an ISO-8601 string; "—" for null. */
export function formatTimestamp(iso: string | null): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
