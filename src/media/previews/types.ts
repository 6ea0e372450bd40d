import type { MeasuredRendition } from '../types.js';
import type { PreviewMoment, Size } from './plan.js';
import type { QualityMeasurement } from './quality-metrics.js';

/** The thumbnails, paths relative to the ladder directory. */
export interface ThumbnailsMade {
  readonly files: readonly string[];
  readonly size: Size;
  readonly timesSeconds: readonly number[];
  readonly rung: string;
  /** The moment the poster was cut again from (the best thumbnail's); null: the ladder's own poster stayed. */
  readonly posterSeconds: number | null;
}

/** What the previews step made (null: not made, PREVIEWS=off); paths relative to the ladder directory. */
export interface PreviewsMade {
  readonly thumbnails: ThumbnailsMade | null;
  readonly storyboard: {
    readonly vtt: string;
    readonly sprites: readonly string[];
    readonly tiles: number;
    readonly tile: Size;
    readonly columns: number;
    readonly rows: number;
    readonly intervalSeconds: number;
    readonly rung: string;
  } | null;
  readonly preview: {
    readonly file: string;
    readonly size: Size;
    readonly moments: readonly PreviewMoment[];
    readonly rung: string;
  } | null;
}

/** What the verifier checks the previews and metadata.json against. */
export interface PreviewExpectations {
  readonly made: PreviewsMade;
  /** metadata.json, relative to the ladder directory. */
  readonly metadata: string;
  readonly renditions: readonly MeasuredRendition[];
  /** The scores metadata.json must list (QUALITY_METRICS=on); null when off. */
  readonly quality: QualityMeasurement | null;
}
