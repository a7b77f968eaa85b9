/**
 * `npm start` as a newcomer runs it, the README's first command: the compiled start script runs the
 * agent on SQLite with the Google sandbox, builds the extension pointed at it and the console, and
 * prints where everything is. The printed extension, loaded unpacked in Chromium, files a ticket
 * with that agent, and the printed demo sign-in finds it in the console.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../agent/build";
import { projectRoot } from "../../agent/root";
import { type ExtensionBrowser, launchWithExtension, requireChromium } from "../support/chromium";

/** Compiled apart from .output/agent, which the compiled-agent test builds at the same time. */
const outDir = path.join(projectRoot, ".output", "test-start");

let dataDir: string;
let start: ChildProcessWithoutNullStreams;
let output = "";
let browser: ExtensionBrowser | undefined;

/** The value printed after `label:` in the start banner. */
function printed(label: string): string {
  const value = output.match(new RegExp(`^\\s*${label}:\\s+(\\S+)`, "m"))?.[1];
  if (!value) throw new Error(`npm start printed no "${label}". It printed:\n${output}`);
  return value;
}

beforeAll(async () => {
  requireChromium();
  await compile({ start: "agent/cli/start.ts" }, outDir);
  dataDir = mkdtempSync(path.join(tmpdir(), "techdesk-start-"));
  start = spawn(process.execPath, ["--enable-source-maps", path.join(outDir, "start.mjs")], {
    cwd: projectRoot,
    env: { ...process.env, DATA_DIR: dataDir, PORT: "0" },
  });
  start.stdout.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  start.stderr.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (output.includes("Press Ctrl+C to stop.")) {
        start.stdout.off("data", check);
        start.off("exit", exited);
        resolve();
      }
    };
    const exited = (code: number | null) =>
      reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`));
    start.stdout.on("data", check);
    start.once("exit", exited);
  });
});

afterAll(async () => {
  await browser?.close();
  if (start && start.exitCode === null) {
    const exited = new Promise((resolve) => start.once("exit", resolve));
    start.kill("SIGTERM");
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe("npm start", () => {
  it("runs the agent on SQLite with the Google sandbox", async () => {
    expect(output).toMatch(/TechDesk is running \(demo mode, sqlite\)/);
    expect(output).toMatch(/Google:\s+The built-in Google sandbox/);
    const health = await fetch(printed("Health"));
    expect(health.status).toBe(200);
    expect(existsSync(path.join(dataDir, "demo-secrets.json"))).toBe(true);
  });

  it("builds the extension pointed at this agent", () => {
    const extensionDir = printed("Unpacked extension");
    const manifest = JSON.parse(readFileSync(path.join(extensionDir, "manifest.json"), "utf8")) as { name: string };
    expect(manifest.name).toMatch(/TechDesk/);
    const scripts = readdirSync(extensionDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js"));
    const agentUrl = printed("Agent / API");
    expect(scripts.some((file) => readFileSync(path.join(extensionDir, file), "utf8").includes(agentUrl))).toBe(true);
  });

  it("files a ticket from the printed extension, which the printed demo sign-in finds in the console", async () => {
    browser = await launchWithExtension(printed("Unpacked extension"));
    const popup = await browser.context.newPage();
    await popup.goto(browser.extensionUrl("popup.html"));
    const note = `Fresh install check ${Date.now()}`;
    await popup.getByRole("button", { name: "Wi-Fi & internet" }).click();
    await popup.getByLabel("Anything else we should know? (optional)").fill(note);
    await popup.getByRole("button", { name: "Send" }).click();
    const number = Number(
      (await popup.getByTestId("ticket-number").textContent({ timeout: 20_000 }))?.replace("#", ""),
    );
    expect(number).toBeGreaterThan(0);

    const [, email, password] =
      output.match(/^\s*School IT lead\s+(\S+)\s+(\S+)$/m) ??
      (() => {
        throw new Error(`npm start printed no School IT lead sign-in:\n${output}`);
      })();
    const staff = await browser.context.newPage();
    await staff.goto(printed("Console"));
    await staff.getByLabel("Email").fill(email as string);
    await staff.getByLabel("Password").fill(password as string);
    await staff.getByRole("button", { name: "Sign in" }).click();
    await staff.getByRole("heading", { name: "Tickets" }).waitFor();
    await staff.goto(`${printed("Console")}#/tickets/${number}`);
    await staff.getByText(note).waitFor();
  });

  it("stops cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => start.once("exit", resolve));
    start.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
