import type { Logger } from 'pino';

export interface Job {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

/**
 * Runs housekeeping jobs on an interval in this process. Every job must be safe
 * when several replicas run it at once (they are plain deletes by date).
 */
export function startScheduler(jobs: Job[], logger: Logger): () => void {
  const timers = jobs.map((job) => {
    const tick = () => {
      job.run().then(
        (result) => logger.debug({ job: job.name, result }, 'job finished'),
        (error: unknown) => logger.warn({ job: job.name, err: error }, 'job failed'),
      );
    };
    const timer = setInterval(tick, job.everyMs);
    timer.unref();
    return timer;
  });
  return () => timers.forEach(clearInterval);
}
