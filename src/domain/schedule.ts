/** A recurring task (node-cron in production, a manual scheduler in tests). */
export interface ScheduledTask {
  stop(): void;
}

/** Runs `fn` on the cron expression `expr` until the returned task is stopped. */
export type Schedule = (expr: string, fn: () => void) => ScheduledTask;
