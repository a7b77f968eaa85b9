/** Job runs caught in the middle, for the tests of the job runner and the Jobs page. */
import type { Insertable } from "kysely";
import type { JobDefinition } from "../../agent/jobs/runner";
import type { JobRunTable } from "../../agent/store/schema";

/** A run recorded as an agent records one it has started and not finished. */
export function runningRun(run: {
  job: string;
  holder: string;
  slot: string;
  startedAt?: string;
}): Insertable<JobRunTable> {
  return {
    trigger: "schedule",
    status: "running",
    startedAt: new Date(Date.now() - 3_600_000).toISOString(),
    finishedAt: null,
    durationMs: null,
    error: null,
    ...run,
  };
}

/** `definition` made to start, then wait until `release` gives it its result. */
export function gatedJob(definition: JobDefinition): {
  job: JobDefinition;
  started: Promise<void>;
  release: (result: Record<string, unknown>) => void;
} {
  let release: (result: Record<string, unknown>) => void = () => {};
  const gate = new Promise<Record<string, unknown>>((resolve) => {
    release = resolve;
  });
  let start: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    start = resolve;
  });
  const job = {
    ...definition,
    run: () => {
      start();
      return gate;
    },
  };
  return { job, started, release: (result) => release(result) };
}
