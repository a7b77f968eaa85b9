/**
 * `npm start`: the whole product on its embedded defaults. Runs the agent on SQLite under ./data,
 * builds the extension pointed at it and the console, and prints where everything is. The builds
 * run in their own processes: WXT and Vite would otherwise leave the agent holding their memory
 * (about 450 MB rather than 170).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { ConfigError, loadConfig, startEnvironment } from "../config";
import { projectRoot } from "../root";
import { startAgent } from "../server";
import { type DemoAccount, ensureDemoAccounts } from "./demo-accounts";
import { demoSecrets, readDemoSecrets, saveDemoSecrets } from "./demo-secrets";

const env = startEnvironment(process.env);

async function main() {
  const dataDir = env.DATA_DIR || "./data";
  const config = loadConfig(env, demoSecrets(dataDir));
  const agent = await startAgent(config);
  const enrollmentToken = config.enrollmentTokens[0]?.token ?? "";
  let accounts: DemoAccount[] = [];
  if (config.mode === "demo") {
    const saved = readDemoSecrets(dataDir);
    accounts = await ensureDemoAccounts(agent.store.db, config, saved?.accounts ?? {});
    saveDemoSecrets(dataDir, { ...saved, accounts: Object.fromEntries(accounts.map((a) => [a.role, a.password])) });
  }
  const signIns =
    config.mode === "demo"
      ? `Demo sign-ins (demo mode only; passwords kept in ${dataDir}/demo-secrets.json):
${accounts.map((a) => `  ${a.label.padEnd(20)} ${a.email.padEnd(40)} ${a.password}`).join("\n")}`
      : "Production mode: staff sign in with the accounts a district admin gives them (no demo sign-ins).";

  console.log(`Agent listening on ${agent.url}; building the extension and the console…`);
  await Promise.all([
    runBuild("extension", "wxt", ["build"], { WXT_AGENT_URL: agent.url, WXT_ENROLLMENT_TOKEN: enrollmentToken }),
    runBuild("console", "tsx", ["agent/console/build.ts"]),
  ]);
  const extensionDir = path.join(projectRoot, ".output", "chrome-mv3");
  if (!existsSync(path.join(extensionDir, "manifest.json")))
    throw new Error(`The extension build left no manifest in ${extensionDir}.`);

  console.log(`
TechDesk is running (${config.mode} mode, ${agent.store.dialect}).

  Console:             ${agent.url}/
  Agent / API:         ${agent.url}
  Health:              ${agent.url}/healthz
  Staff API token:     ${config.staffApiToken}
  Enrollment token:    ${enrollmentToken}
  Unpacked extension:  ${extensionDir}
  Google:              ${agent.google.status.description}

${signIns}

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

/** Runs one of the project's build tools from node_modules/.bin; its output shows only if it fails. */
function runBuild(what: string, tool: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(projectRoot, "node_modules", ".bin", tool), args, {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    child.on("error", (error) => reject(new Error(`Could not run the ${what} build (${tool}): ${error.message}`)));
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`The ${what} build failed (${signal ?? `exit ${code}`}):\n${output.trim()}`));
    });
  });
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
