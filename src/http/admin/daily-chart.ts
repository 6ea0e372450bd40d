import type { DayOutcome } from '../../store/report-queries.js';

/** One day's pair of bars, in SVG user units (the chart's viewBox). */
export interface ChartBar {
  readonly day: string;
  /** "Oct 22" */
  readonly label: string;
  /** Shown under every other bar, so labels never overlap. */
  readonly showLabel: boolean;
  /** Where the label goes; the last one is right-aligned so it stays inside the chart. */
  readonly labelX: number;
  readonly labelAnchor: 'middle' | 'end';
  readonly x: number;
  readonly completed: { readonly y: number; readonly height: number; readonly count: number };
  readonly failed: { readonly y: number; readonly height: number; readonly count: number };
  /** Tooltip: "Oct 22: 3 completed, 1 failed". */
  readonly title: string;
}

export interface ChartModel {
  readonly width: number;
  readonly height: number;
  /** y of the baseline. */
  readonly baseline: number;
  /** y of the top of the tallest possible bar. */
  readonly top: number;
  readonly barWidth: number;
  readonly max: number;
  readonly bars: readonly ChartBar[];
}

// Small user units: the chart fills a narrow panel, so its 9-unit labels stay legible when scaled.
const WIDTH = 280;
const TOP = 14;
const PLOT_HEIGHT = 90;
const LABEL_SPACE = 14;
/** A date under every third day (always the latest): "Nov 23" needs about three slots. */
const LABEL_EVERY = 3;

/**
 * Geometry of the completed/failed-per-day chart, computed here so the server-rendered SVG and the
 * refresh script draw exactly the same thing (the script only copies numbers into attributes).
 */
export function dailyChart(days: readonly DayOutcome[]): ChartModel {
  const max = Math.max(1, ...days.map((d) => Math.max(d.completed, d.failed)));
  const slot = WIDTH / Math.max(1, days.length);
  const barWidth = Math.max(2, Math.floor(slot / 2) - 1);
  const scale = (count: number) => Math.round((count / max) * PLOT_HEIGHT);
  const bars = days.map((d, i): ChartBar => {
    const label = new Date(`${d.day}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
    const completed = scale(d.completed);
    const failed = scale(d.failed);
    const x = Math.round(i * slot + 1);
    const last = i === days.length - 1;
    return {
      day: d.day,
      label,
      showLabel: (days.length - 1 - i) % LABEL_EVERY === 0,
      labelX: last ? WIDTH : x + barWidth,
      labelAnchor: last ? 'end' : 'middle',
      x,
      completed: { y: TOP + PLOT_HEIGHT - completed, height: completed, count: d.completed },
      failed: { y: TOP + PLOT_HEIGHT - failed, height: failed, count: d.failed },
      title: `${label}: ${d.completed} completed, ${d.failed} failed`,
    };
  });
  return { width: WIDTH, height: TOP + PLOT_HEIGHT + LABEL_SPACE, baseline: TOP + PLOT_HEIGHT, top: TOP, barWidth, max, bars };
}
