/** One reading of the machine's resources. Percentages are 0-100. */
export interface SystemSample {
  /** ISO-8601, from the monitor's clock. */
  readonly at: string;
  readonly cpuPercent: number;
  readonly memory: UsageReading;
  /** The volume holding STORAGE_DIR. */
  readonly disk: UsageReading;
  /** Bits per second over all non-loopback interfaces; null until two readings exist. */
  readonly network: { readonly inBitsPerSecond: number | null; readonly outBitsPerSecond: number | null };
}

export interface UsageReading {
  readonly usedBytes: number;
  readonly totalBytes: number;
  readonly percent: number;
}

/** Reads the machine. systeminformation in production; tests inject readings. */
export interface SystemSampler {
  sample(): Promise<Omit<SystemSample, 'at'>>;
}
