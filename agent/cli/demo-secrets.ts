/** The embedded demo's tokens: generated once and kept in the data directory so restarts keep them. */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { StaffRole } from "../../shared";
import type { GeneratedSecrets } from "../config";

export interface DemoSecrets extends Partial<GeneratedSecrets> {
  /** Demo account passwords by role, kept so a restart prints the same ones. */
  accounts?: Partial<Record<StaffRole, string>>;
}

const secretsFile = (dataDir: string) => path.join(path.resolve(dataDir), "demo-secrets.json");

export function saveDemoSecrets(dataDir: string, secrets: DemoSecrets): void {
  const file = secretsFile(dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
}

export function readDemoSecrets(dataDir: string): DemoSecrets | undefined {
  const file = secretsFile(dataDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as DemoSecrets) : undefined;
}

/** The demo's tokens, generated on first use and saved beside any passwords already kept. */
export function demoSecrets(dataDir: string): () => GeneratedSecrets {
  return function loadOrCreate() {
    const saved = readDemoSecrets(dataDir);
    if (saved?.enrollmentToken && saved.staffApiToken)
      return { enrollmentToken: saved.enrollmentToken, staffApiToken: saved.staffApiToken };
    const secrets: GeneratedSecrets = {
      enrollmentToken: `enroll-${randomBytes(12).toString("base64url")}`,
      staffApiToken: `staff-${randomBytes(24).toString("base64url")}`,
    };
    saveDemoSecrets(dataDir, { ...saved, ...secrets });
    return secrets;
  };
}
