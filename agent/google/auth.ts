/**
 * How TechDesk signs in to Google, chosen by environment: a service account key with domain-wide
 * delegation (acting as an admin), a service account that holds an admin role itself, or
 * application default credentials. With none configured, the agent uses the sandbox.
 */
import { existsSync, readFileSync } from "node:fs";
import { GoogleAuth, JWT } from "google-auth-library";

export const googleScopes = [
  "admin.directory.device.chromeos",
  "admin.directory.orgunit.readonly",
  "chrome.management.policy",
  "chrome.management.telemetry.readonly",
  "chrome.management.reports.readonly",
].map((s) => `https://www.googleapis.com/auth/${s}`);

export type GoogleAuthMode =
  | { kind: "sandbox" }
  | { kind: "delegated"; keyFile: string; subject: string; clientEmail: string }
  | { kind: "service-account"; keyFile: string; clientEmail: string }
  | { kind: "adc" };

export class GoogleAuthConfigError extends Error {
  override name = "GoogleAuthConfigError";
}

interface ServiceAccountKey {
  type?: string;
  client_email?: string;
  private_key?: string;
}

function readKey(keyFile: string): ServiceAccountKey & { client_email: string } {
  if (!existsSync(keyFile))
    throw new GoogleAuthConfigError(`GOOGLE_CREDENTIALS names ${keyFile}, which does not exist.`);
  let key: ServiceAccountKey;
  try {
    key = JSON.parse(readFileSync(keyFile, "utf8")) as ServiceAccountKey;
  } catch {
    throw new GoogleAuthConfigError(`GOOGLE_CREDENTIALS (${keyFile}) is not a JSON key file.`);
  }
  if (key.type !== "service_account" || !key.client_email || !key.private_key) {
    throw new GoogleAuthConfigError(
      `GOOGLE_CREDENTIALS (${keyFile}) is not a service account key: download one from Google Cloud console → IAM → Service accounts → Keys.`,
    );
  }
  return key as ServiceAccountKey & { client_email: string };
}

/**
 * Reads the mode from GOOGLE_AUTH (sandbox | delegated | service-account | adc), GOOGLE_CREDENTIALS
 * and GOOGLE_ADMIN_SUBJECT; unset or empty variables count as not given.
 */
export function googleAuthMode(env: Record<string, string | undefined>): GoogleAuthMode {
  const keyFile = env.GOOGLE_CREDENTIALS || undefined;
  const subject = env.GOOGLE_ADMIN_SUBJECT || undefined;
  // A key file alone is a service account with its own admin role; a subject means delegation (and
  // then needs the key). Application default credentials only when asked for: Google's own
  // GOOGLE_APPLICATION_CREDENTIALS is often set on a machine for other work, and must not turn the
  // demo into production against whatever tenant it reaches.
  let implied = "sandbox";
  if (keyFile) implied = subject ? "delegated" : "service-account";
  else if (subject) implied = "delegated";
  const wanted = env.GOOGLE_AUTH || implied;
  switch (wanted) {
    case "sandbox":
      if (keyFile || subject)
        throw new GoogleAuthConfigError(
          "GOOGLE_AUTH is sandbox, but GOOGLE_CREDENTIALS or GOOGLE_ADMIN_SUBJECT is set too: remove them or choose a mode.",
        );
      return { kind: "sandbox" };
    case "adc":
      return { kind: "adc" };
    case "delegated": {
      if (!keyFile)
        throw new GoogleAuthConfigError(
          "Domain-wide delegation needs GOOGLE_CREDENTIALS (the service account key file).",
        );
      if (!subject || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(subject)) {
        throw new GoogleAuthConfigError(
          "Domain-wide delegation needs GOOGLE_ADMIN_SUBJECT: the email of the admin the service account acts as.",
        );
      }
      return { kind: "delegated", keyFile, subject, clientEmail: readKey(keyFile).client_email };
    }
    case "service-account":
      if (!keyFile)
        throw new GoogleAuthConfigError(
          "GOOGLE_AUTH=service-account needs GOOGLE_CREDENTIALS (the service account key file).",
        );
      return { kind: "service-account", keyFile, clientEmail: readKey(keyFile).client_email };
    default:
      throw new GoogleAuthConfigError(
        `GOOGLE_AUTH must be sandbox, delegated, service-account or adc, not "${wanted}".`,
      );
  }
}

/** The auth client for `googleapis`; undefined for the sandbox. */
export async function googleAuthClient(mode: GoogleAuthMode) {
  switch (mode.kind) {
    case "sandbox":
      return undefined;
    case "delegated":
      return new JWT({ keyFile: mode.keyFile, scopes: googleScopes, subject: mode.subject });
    case "service-account":
      return new JWT({ keyFile: mode.keyFile, scopes: googleScopes });
    case "adc":
      return new GoogleAuth({ scopes: googleScopes }).getClient();
  }
}

export function describeMode(mode: GoogleAuthMode): string {
  switch (mode.kind) {
    case "sandbox":
      return "The built-in Google sandbox (no Google credentials configured): a demo district, nothing real is changed.";
    case "delegated":
      return `Service account ${mode.clientEmail} acting as ${mode.subject} (domain-wide delegation).`;
    case "service-account":
      return `Service account ${mode.clientEmail}, holding an admin role itself.`;
    case "adc":
      return "Application default credentials of the machine the agent runs on.";
  }
}
