/** Remote commands (`{deviceId}:issueCommand`) and their state, which moves on as callers poll it. */
import type { Context } from "hono";
import type { SandboxDistrict } from "./district";
import { googleError } from "./errors";

export const commandTypes = [
  "REBOOT",
  "TAKE_A_SCREENSHOT",
  "SET_VOLUME",
  "WIPE_USERS",
  "REMOTE_POWERWASH",
  "DEVICE_START_CRD_SESSION",
  "CAPTURE_LOGS",
  "FETCH_SUPPORT_PACKET",
  "FETCH_CRD_AVAILABILITY_INFO",
];
const commandStates = ["PENDING", "SENT_TO_CLIENT", "ACKED_BY_CLIENT", "EXECUTED_BY_CLIENT"] as const;

export async function issueCommand(c: Context, district: SandboxDistrict, deviceId: string) {
  const device = district.devices.get(deviceId);
  if (!device) return googleError(c, 404, "notFound", "Resource Not Found: deviceId");
  const body = (await c.req.json().catch(() => ({}))) as { commandType?: string; payload?: string };
  if (!body.commandType || !commandTypes.includes(body.commandType)) {
    return googleError(c, 400, "invalid", `Invalid value for commandType: ${body.commandType}`);
  }
  if (device.status !== "ACTIVE") return googleError(c, 400, "failedPrecondition", `Device is ${device.status}.`);
  const commandId = String(Date.now() * 1000 + district.commands.size);
  district.commands.set(commandId, {
    commandId,
    deviceId,
    type: body.commandType,
    state: "PENDING",
    issueTime: new Date().toISOString(),
    payload: body.payload,
    pollsUntilNextState: 1,
  });
  return c.json({ commandId });
}

export function getCommand(c: Context, district: SandboxDistrict, deviceId: string, commandId: string) {
  const command = district.commands.get(commandId);
  if (!command || command.deviceId !== deviceId)
    return googleError(c, 404, "notFound", "Resource Not Found: commandId");
  // Each read moves a command one step toward EXECUTED_BY_CLIENT, so callers must poll until it ends.
  const index = commandStates.indexOf(command.state as (typeof commandStates)[number]);
  if (index >= 0 && index < commandStates.length - 1) {
    if (command.pollsUntilNextState <= 0) {
      command.state = commandStates[index + 1] as SandboxCommandState;
      command.pollsUntilNextState = 1;
    } else command.pollsUntilNextState -= 1;
  }
  if (command.state === "EXECUTED_BY_CLIENT" && !command.done) {
    command.done = true;
    applyCommand(c, district, command);
  }
  const result =
    command.state === "EXECUTED_BY_CLIENT"
      ? { result: "SUCCESS", executeTime: new Date().toISOString(), commandResultPayload: "" }
      : undefined;
  return c.json({
    commandId,
    type: command.type,
    state: command.state,
    issueTime: command.issueTime,
    payload: command.payload,
    commandResult: result,
  });
}

type SandboxCommandState =
  SandboxDistrict["commands"] extends Map<string, infer C> ? (C extends { state: infer S } ? S : never) : never;

/** What a command leaves behind on the device once executed, as Google shows it. */
function applyCommand(
  c: Context,
  district: SandboxDistrict,
  command: { deviceId: string; type: string; commandId: string },
): void {
  const device = district.devices.get(command.deviceId);
  if (!device) return;
  if (command.type === "FETCH_SUPPORT_PACKET") {
    const createTime = new Date().toISOString();
    const origin = new URL(c.req.url).origin;
    device.deviceFiles = [
      ...(device.deviceFiles ?? []),
      {
        name: `support-packet-${createTime.replace(/[:.]/g, "-")}.zip`,
        type: "SUPPORT_PACKET",
        createTime,
        downloadUrl: `${origin}/sandbox/files/${command.deviceId}/${command.commandId}.zip`,
      },
    ];
  }
  if (command.type === "WIPE_USERS") device.recentUsers = [];
}
