/** The embedded demo's tokens: generated once and kept in the data directory so restarts keep them. */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { GeneratedSecrets } from "../config";

export function demoSecrets(dataDir: string): () => GeneratedSecrets {
  return function loadOrCreate() {
    const file = path.join(path.resolve(dataDir), "demo-secrets.json");
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
