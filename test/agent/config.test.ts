import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { demoSecrets, readDemoSecrets, saveDemoSecrets } from "../../agent/cli/demo-secrets";
import { ConfigError, loadConfig, startEnvironment } from "../../agent/config";
import { isMainModule } from "../../agent/root";

const dir = mkdtempSync(path.join(tmpdir(), "techdesk-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keyFile = path.join(dir, "key.json");
writeFileSync(
  keyFile,
  JSON.stringify({
    type: "service_account",
    client_email: "techdesk@district-project.iam.gserviceaccount.com",
    private_key: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
      type: "pkcs8",
      format: "pem",
    }),
  }),
);

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
    [{ JOBS_TIMEZONE: "America/NewYork" }, /JOBS_TIMEZONE: must be an IANA time zone/],
    [
      { ENROLLMENT_TOKENS: "/Schools/A=same-token-0000000001,/Schools/B=same-token-0000000001" },
      /ENROLLMENT_TOKENS: each token may appear only once/,
    ],
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

  it("counts an empty Google variable as not set, and uses ADC only when asked to", () => {
    expect(loadConfig({ ...valid, GOOGLE_AUTH: "", GOOGLE_CREDENTIALS: "" }).google.mode).toEqual({ kind: "sandbox" });
    // Set on many a developer's machine for other work: it does not choose real Google.
    expect(loadConfig({ ...valid, GOOGLE_APPLICATION_CREDENTIALS: keyFile }).google.mode).toEqual({ kind: "sandbox" });
    expect(loadConfig({ ...valid, GOOGLE_AUTH: "adc" }).google.mode).toEqual({ kind: "adc" });
    expect(() => loadConfig({ ...valid, GOOGLE_ADMIN_SUBJECT: "it-admin@district.example" })).toThrow(
      /Domain-wide delegation needs GOOGLE_CREDENTIALS/,
    );
  });

  it("runs demo mode, with its all-powerful demo sign-ins, only on the sandbox", () => {
    const delegated = { GOOGLE_CREDENTIALS: keyFile, GOOGLE_ADMIN_SUBJECT: "it-admin@district.example" };
    expect(() => loadConfig({ ...valid, ...delegated, TECHDESK_MODE: "demo" })).toThrow(
      /TECHDESK_MODE is demo, which runs only on the built-in Google sandbox/,
    );
    // npm start: demo on the sandbox, production against a real district, and what is set wins.
    expect(startEnvironment({}).TECHDESK_MODE).toBe("demo");
    expect(startEnvironment({ TECHDESK_MODE: "" }).TECHDESK_MODE).toBe("demo");
    expect(startEnvironment(delegated).TECHDESK_MODE).toBe("production");
    expect(startEnvironment({ GOOGLE_APPLICATION_CREDENTIALS: keyFile }).TECHDESK_MODE).toBe("demo");
    expect(startEnvironment({ GOOGLE_AUTH: "adc" }).TECHDESK_MODE).toBe("production");
    expect(startEnvironment({ TECHDESK_MODE: "production" }).TECHDESK_MODE).toBe("production");
    expect(loadConfig({ ...valid, ...startEnvironment(delegated) })).toMatchObject({
      mode: "production",
      google: { mode: { kind: "delegated" } },
    });
  });
});

describe("the demo's secrets", () => {
  it("keeps the demo passwords when the tokens are configured, and the passwords when tokens are made", () => {
    const dataDir = path.join(dir, "data-with-tokens");
    // npm start with ENROLLMENT_TOKENS and STAFF_API_TOKEN set: no tokens are generated, passwords still kept.
    saveDemoSecrets(dataDir, { ...readDemoSecrets(dataDir), accounts: { school_it_lead: "lead-password" } });
    expect(readDemoSecrets(dataDir)?.accounts).toEqual({ school_it_lead: "lead-password" });
    // Later started without tokens: they are made and saved beside the passwords, then kept.
    const tokens = demoSecrets(dataDir)();
    expect(readDemoSecrets(dataDir)).toEqual({ ...tokens, accounts: { school_it_lead: "lead-password" } });
    expect(demoSecrets(dataDir)()).toEqual(tokens);
    expect(JSON.parse(readFileSync(path.join(dataDir, "demo-secrets.json"), "utf8")).accounts).toBeDefined();
  });
});

describe("isMainModule", () => {
  it("knows the script Node started with through a folder with a space and a symlink", () => {
    const real = path.join(dir, "with space", "build.mjs");
    mkdirSync(path.dirname(real), { recursive: true });
    writeFileSync(real, "");
    const linked = path.join(dir, "linked folder");
    symlinkSync(path.dirname(real), linked);
    const argv = process.argv;
    try {
      process.argv = [argv[0] ?? "node", path.join(linked, "build.mjs")];
      expect(isMainModule(pathToFileURL(real).href)).toBe(true);
      process.argv = [argv[0] ?? "node", path.join(dir, "other.mjs")];
      expect(isMainModule(pathToFileURL(real).href)).toBe(false);
    } finally {
      process.argv = argv;
    }
  });
});
