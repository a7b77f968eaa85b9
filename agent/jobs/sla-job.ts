/**
 * SLA escalation: every quarter hour by default, student tech team tickets no one has worked move up
 * to the school IT lead, and tickets waiting on the IT lead, a coach or the building admin are called
 * out to them, and again after each further period no one works them.
 */
import type { AgentConfig } from "../config";
import { period, runSlaCheck, type SlaRules } from "../services/sla";
import type { JobDefinition } from "./runner";

export function slaJob(config: AgentConfig, now: () => Date): JobDefinition {
  const rules: SlaRules = {
    tier1Hours: config.jobs.slaTier1Hours,
    overdueHours: config.jobs.slaOverdueHours,
    weekends: config.jobs.slaWeekends,
    timeZone: config.jobs.timezone,
  };
  return {
    name: "sla-escalation",
    title: "SLA escalation",
    description: `Moves student tech team tickets no one has worked for ${period(rules.tier1Hours, rules.weekends)} to the school IT lead, and tells the IT lead, the coaches or the building admin about a ticket of theirs no one has worked for ${period(rules.overdueHours, rules.weekends)}, and again for each further ${period(rules.overdueHours, rules.weekends)}.`,
    schedule: config.jobs.slaCron,
    timezone: config.jobs.timezone,
    leaseMs: 2 * 60_000,
    async run({ db, progress, signal }) {
      // The check reports its progress after each batch of tickets: a run told to stop stops there,
      // before its next batch (each ticket's change is its own transaction, and stays).
      const result = await runSlaCheck(db, rules, {
        now: now(),
        progress: async (detail) => {
          await progress(detail);
          signal.throwIfAborted();
        },
      });
      return { ...result };
    },
  };
}
