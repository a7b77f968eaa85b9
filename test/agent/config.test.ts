import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../agent/config";

const valid = { ENROLLMENT_TOKENS: "a-token-of-sixteen-chars", STAFF_API_TOKEN: "x".repeat(24) };

describe("loadConfig", () => {
  it("defaults to SQLite under ./data on 127.0.0.1:8787", () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({ host: "127.0.0.1", port: 8787, mode: "production" });
    expect("sqliteFile" in config.store && config.store.sqliteFile).toMatch(/data\/techdesk\.sqlite$/);
  });

  it("locks down in the evening with a day's grace for loaners, and finds schools under /Schools", () => {
    const config = loadConfig(valid);
    expect(config.jobs).toMatchObject({
      lockdownCron: "0 20 * * *",
      loanerGraceHours: 24,
      filterAuditCron: "0 * * * *",
      appReconcileCron: "30 * * * *",
    });
    expect(config.schoolsOu).toBe("/Schools");
    expect(loadConfig({ ...valid, SCHOOLS_OU: "/District/Schools/" }).schoolsOu).toBe("/District/Schools");
  });

  it("uses PostgreSQL when DATABASE_URL is set", () => {
    expect(loadConfig({ ...valid, DATABASE_URL: "postgres://u@localhost/db" }).store).toEqual({
      databaseUrl: "postgres://u@localhost/db",
    });
  });

  it.each([
    [{ PORT: "eighty" }, /PORT/],
    [{ DATABASE_URL: "mysql://x" }, /DATABASE_URL: must start with postgres/],
    [{ EXTENSION_IDS: "not-an-id" }, /EXTENSION_IDS/],
    [{ TECHDESK_MODE: "staging" }, /TECHDESK_MODE/],
    [{ JOB_LOCKDOWN_CRON: "every evening" }, /JOB_LOCKDOWN_CRON: must be a cron expression/],
    [{ JOB_FILTER_AUDIT_CRON: "hourly" }, /JOB_FILTER_AUDIT_CRON: must be a cron expression/],
    [{ LOANER_GRACE_HOURS: "-1" }, /LOANER_GRACE_HOURS/],
    [{ SCHOOLS_OU: "Schools" }, /SCHOOLS_OU: must be an OU path/],
  ])("stops with a sentence naming the variable for %o", (bad, pattern) => {
    expect(() => loadConfig({ ...valid, ...bad })).toThrow(ConfigError);
    expect(() => loadConfig({ ...valid, ...bad })).toThrow(pattern);
  });

  it("requires tokens in production and generates them only in demo mode", () => {
    expect(() => loadConfig({})).toThrow(/ENROLLMENT_TOKENS is not set/);
    const secrets = () => ({ enrollmentToken: "demo-enrollment-token", staffApiToken: "demo-staff-token-000000000" });
    expect(() => loadConfig({}, secrets)).toThrow(/ENROLLMENT_TOKENS/);
    expect(loadConfig({ TECHDESK_MODE: "demo" }, secrets).enrollmentTokens).toEqual([
      { token: "demo-enrollment-token", school: "/Schools/Lincoln High" },
    ]);
  });

  it("reads a school for each enrollment token given as /OU path=token", () => {
    const config = loadConfig({
      ...valid,
      ENROLLMENT_TOKENS: "/Schools/Lincoln High=lincoln-token-000001, plain-token-00000001",
    });
    expect(config.enrollmentTokens).toEqual([
      { token: "lincoln-token-000001", school: "/Schools/Lincoln High" },
      { token: "plain-token-00000001" },
    ]);
    expect(() => loadConfig({ ...valid, ENROLLMENT_TOKENS: "/Schools/Lincoln=short" })).toThrow(
      /at least 16 characters/,
    );
  });
});
