/** The embedded demo's tokens: generated once and kept in the data directory so restarts keep them. */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { StaffRole } from "../../shared";
import type { GeneratedSecrets } from "../config";

export interface DemoSecrets extends GeneratedSecrets {
  /** Demo account passwords by role, kept so a restart prints the same ones. */
  accounts?: Partial<Record<StaffRole, string>>;
}

const secretsFile = (dataDir: string) => path.join(path.resolve(dataDir), "demo-secrets.json");

export function saveDemoSecrets(dataDir: string, secrets: DemoSecrets): void {
  writeFileSync(secretsFile(dataDir), `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
}

export function readDemoSecrets(dataDir: string): DemoSecrets | undefined {
  const file = secretsFile(dataDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as DemoSecrets) : undefined;
}

export function demoSecrets(dataDir: string): () => GeneratedSecrets {
  return function loadOrCreate() {
    const file = secretsFile(dataDir);
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as GeneratedSecrets;
    const secrets: GeneratedSecrets = {
      enrollmentToken: `enroll-${randomBytes(12).toString("base64url")}`,
      staffApiToken: `staff-${randomBytes(24).toString("base64url")}`,
    };
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, {
      mode: 0o600,
    });
    return secrets;
  };
}
