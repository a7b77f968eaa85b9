/**
 * `npm start`: the whole product on its embedded defaults. Runs the agent on SQLite under ./data,
 * builds the extension pointed at it, and prints where everything is.
 */
import path from "node:path";
import { build } from "wxt";
import { ConfigError, loadConfig } from "../config";
import { buildConsole } from "../console/build";
import { projectRoot } from "../root";
import { startAgent } from "../server";
import { ensureDemoAccounts } from "./demo-accounts";
import { demoSecrets, readDemoSecrets, saveDemoSecrets } from "./demo-secrets";

const env: Record<string, string | undefined> = {
  TECHDESK_MODE: "demo",
  ...process.env,
};

async function main() {
  const dataDir = env.DATA_DIR ?? "./data";
  const config = loadConfig(env, demoSecrets(dataDir));
  const agent = await startAgent(config);
  const enrollmentToken = config.enrollmentTokens[0]?.token ?? "";
  const secrets = readDemoSecrets(dataDir);
  const accounts = await ensureDemoAccounts(agent.store.db, config, secrets?.accounts ?? {});
  if (secrets)
    saveDemoSecrets(dataDir, { ...secrets, accounts: Object.fromEntries(accounts.map((a) => [a.role, a.password])) });

  process.env.WXT_AGENT_URL = agent.url;
  process.env.WXT_ENROLLMENT_TOKEN = enrollmentToken;
  const [output] = await Promise.all([build({ root: projectRoot, logger: quietLogger }), buildConsole()]);
  const extensionDir = output.manifest ? path.join(projectRoot, ".output", "chrome-mv3") : "";

  console.log(`
TechDesk is running (${config.mode} mode, ${agent.store.dialect}).

  Console:             ${agent.url}/
  Agent / API:         ${agent.url}
  Health:              ${agent.url}/healthz
  Staff API token:     ${config.staffApiToken}
  Enrollment token:    ${enrollmentToken}
  Unpacked extension:  ${extensionDir}
  Google:              ${agent.google.status.description}

Demo sign-ins (demo mode only; passwords kept in ${dataDir}/demo-secrets.json):
${accounts.map((a) => `  ${a.label.padEnd(20)} ${a.email.padEnd(40)} ${a.password}`).join("\n")}

Load the extension: open chrome://extensions, turn on Developer mode, "Load unpacked", and pick
the folder above. It is built pointing at this agent, so clicking it files a ticket here.
List tickets:  curl -H "Authorization: Bearer ${config.staffApiToken}" ${agent.url}/v1/staff/tickets
Press Ctrl+C to stop.
`);
  const stop = async () => {
    await agent.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

const quietLogger = {
  debug() {},
  log() {},
  info() {},
  success() {},
  warn: console.warn,
  error: console.error,
  fatal: console.error,
  level: 3,
};

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
