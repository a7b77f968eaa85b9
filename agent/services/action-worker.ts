/**
 * Carries requested device actions to Google and records how each ended, so that every action is
 * applied exactly once even across restarts, several agent replicas and Google outages:
 * - a worker claims what it sends next (one batch, or one command) with a conditional update (one
 *   replica wins each), marks it `sent`, and renews the claim while it waits on Google; a claim
 *   that lapses (the worker died) is picked up again, and an outcome is written only over a claim
 *   still held, so a worker that lost its claim changes nothing;
 * - actions on one device go out in the order they were asked for: a re-enable waits until the
 *   disable before it has ended, or Google could see them the other way round;
 * - one process runs one pass at a time (timer, kick or drain alike);
 * - status changes go out through `batchChangeStatus`, 50 devices a call, and every per-device
 *   result is recorded; a device already in the wanted state (an earlier attempt that Google applied
 *   but we did not hear back from) is confirmed, not changed twice;
 * - while Google is failing (retries spent, or the circuit breaker open) actions go back to
 *   `requested` with a later attempt time: parked work is applied when Google answers again;
 * - commands are issued once (deduplicated by the action's id) and their state is polled until it
 *   ends, or until Google no longer knows it or its state cannot be read after `commandTries`;
 *   a support packet's files are attached to the action's ticket.
 * Every ending is written with its audit entry and ticket timeline entry in one transaction.
 */
import type { Kysely } from "kysely";
import { CircuitOpenError } from "../google/circuit-breaker";
import { GoogleCallError } from "../google/client";
import { type DirectoryAdapter, idsPerBatch, type StatusResult } from "../google/directory";
import { isRetryable, surelyNotActed } from "../google/retry";
import type { Logger } from "../log";
import { appendAudit } from "../store/audit";
import type { Database, DeviceActionRow } from "../store/schema";
import * as tickets from "../store/tickets";
import { ClaimingWorker, type ClaimingWorkerOptions, isTransient } from "./claiming-worker";
import { actionName } from "./device-actions";
import { notify } from "./notifications";

const statusAfter: Record<string, string> = { disable: "DISABLED", reenable: "ACTIVE", deprovision: "DEPROVISIONED" };
const googleAction = { disable: "DISABLE", reenable: "REENABLE", deprovision: "DEPROVISION" } as const;
const endedCommandStates = new Set(["EXECUTED_BY_CLIENT", "EXPIRED", "CANCELLED"]);
/** The most actions one pass claims, so that a pass ends even while work keeps arriving. */
const actionsPerPass = 500;
/** How often due work is looked for, how long a claim lasts, and the backoff, unless told otherwise. */
const pacing = { pollMs: 2000, claimMs: 5 * 60_000, backoffMs: 15_000, maxBackoffMs: 15 * 60_000 };

/**
 * What an outcome may be written over: the claim a worker holds (`claimedUntil` too when taking
 * over a lapsed one, so a renewal in between wins), or a command already issued and followed.
 */
type Hold = { claimedBy: string | null; claimedUntil?: string | null } | { commandId: string };

export interface ActionWorkerOptions extends ClaimingWorkerOptions {
  /** How often a command's state is asked for. */
  commandPollMs?: number;
  /**
   * Reads of an issued command's state that may fail before TechDesk stops following it (counted
   * from when it was issued): about four and a half hours with the default backoff.
   */
  commandTries?: number;
}

export class ActionWorker extends ClaimingWorker {
  readonly #options: Required<Pick<ActionWorkerOptions, "commandPollMs" | "commandTries">>;
  #pass: Promise<number> | undefined;
  #nextPass: Promise<number> | undefined;

  constructor(
    readonly db: Kysely<Database>,
    readonly directory: DirectoryAdapter,
    log: Logger,
    options: ActionWorkerOptions = {},
  ) {
    super(log, options, { holderPrefix: "worker", name: "device action worker", ...pacing });
    this.#options = {
      commandPollMs: options.commandPollMs ?? 3000,
      commandTries: options.commandTries ?? 24,
    };
  }

  /** Until no action is open or `timeoutMs` passes: for the overnight job and tests. */
  drain(timeoutMs = 60_000, ids?: string[]): Promise<boolean> {
    const noneOpen = async () => {
      let open = this.db.selectFrom("deviceActions").select("id").where("state", "in", ["requested", "sent"]);
      if (ids?.length) open = open.where("id", "in", ids);
      return !(await open.limit(1).execute()).length;
    };
    return this.drainUntil(noneOpen, timeoutMs, Math.min(250, this.#options.commandPollMs));
  }

  /**
   * One pass over due work; answers how many actions moved. A call during a pass runs one more
   * pass after it (calls meanwhile share that one): two passes beside each other in one process
   * would each take the other's work for a lapsed claim.
   */
  override tick(): Promise<number> {
    if (this.#nextPass) return this.#nextPass;
    if (!this.#pass) return this.#startPass();
    const next = this.#pass
      .catch(() => 0)
      .then(() => {
        this.#nextPass = undefined;
        return this.#startPass();
      });
    this.#nextPass = next;
    return next;
  }

  #startPass(): Promise<number> {
    const pass = this.#runPass().finally(() => {
      if (this.#pass === pass) this.#pass = undefined;
    });
    this.#pass = pass;
    return pass;
  }

  async #runPass(): Promise<number> {
    await this.#recoverLapsedClaims(this.now());
    let moved = 0;
    for (let looked = 0; looked < actionsPerPass; ) {
      const { due, claimed } = await this.#claimNext(this.now());
      if (!due) break;
      looked += due;
      moved += claimed.length;
      const [first] = claimed;
      if (!first) continue; // Another replica won these.
      await this.#holding(first.claimedBy as string, () =>
        first.kind === "command" ? this.#sendCommand(first) : this.#sendStatusChange(claimed),
      );
    }
    moved += await this.#followCommands();
    return moved;
  }

  /** Renews the claim `token` every third of `claimMs` while `work` runs: Google's retries can outlast one claim. */
  async #holding(token: string, work: () => Promise<void>): Promise<void> {
    const renew = () =>
      this.db
        .updateTable("deviceActions")
        .set({ claimedUntil: this.claimEnd(this.now()) })
        .where("claimedBy", "=", token)
        .where("state", "=", "sent")
        .execute()
        .catch((error) => this.log.warn("device action claim not renewed", { holder: token, error: String(error) }));
    const timer = setInterval(renew, Math.max(10, Math.floor(this.pacing.claimMs / 3)));
    timer.unref?.();
    try {
      await work();
    } finally {
      clearInterval(timer);
    }
  }

  async #recoverLapsedClaims(now: Date): Promise<void> {
    const at = now.toISOString();
    const lapsed = await this.db
      .selectFrom("deviceActions")
      .selectAll()
      .where("state", "=", "sent")
      .where("commandId", "is", null)
      .where("claimedUntil", "<", at)
      .execute();
    for (const action of lapsed) {
      if (action.kind === "command") {
        // Not idempotent: we cannot know whether Google received it, so say so rather than send twice.
        await this.#finish(action, { claimedBy: action.claimedBy, claimedUntil: action.claimedUntil }, "failed", {
          error:
            "TechDesk stopped while sending this command, so Google may or may not have received it. Check the device, then send it again if needed.",
        });
      } else {
        // Status changes are safe to send again: a device already changed is confirmed, not changed twice.
        await this.db
          .updateTable("deviceActions")
          .set({ state: "requested", claimedBy: null, claimedUntil: null, nextAttemptAt: at, updatedAt: at })
          .where("id", "=", action.id)
          .where("state", "=", "sent")
          .where("claimedUntil", "=", action.claimedUntil)
          .execute();
        this.log.warn("device action claim lapsed; sending again", { actionId: action.id, holder: action.claimedBy });
      }
    }
  }

  /**
   * Claims what goes out next: up to one batch of the oldest due status change's kind, or one
   * command. An action waits while an earlier one on its device is open and not yet at Google (an
   * issued command is, and does not hold a lost device's disable back).
   */
  async #claimNext(now: Date): Promise<{ due: number; claimed: DeviceActionRow[] }> {
    const at = now.toISOString();
    const due = await this.db
      .selectFrom("deviceActions as a")
      .select(["a.id", "a.kind", "a.deprovisionReason"])
      .where("a.state", "=", "requested")
      .where("a.nextAttemptAt", "<=", at)
      .where(({ exists, not, selectFrom }) =>
        not(
          exists(
            selectFrom("deviceActions as e")
              .select("e.id")
              .whereRef("e.deviceId", "=", "a.deviceId")
              .where("e.state", "in", ["requested", "sent"])
              .where("e.commandId", "is", null)
              .where((e) =>
                e.or([
                  // One at Google holds the device's later ones back whatever its time (replicas' clocks differ).
                  e("e.state", "=", "sent"),
                  e("e.createdAt", "<", e.ref("a.createdAt")),
                  e.and([e("e.createdAt", "=", e.ref("a.createdAt")), e("e.id", "<", e.ref("a.id"))]),
                ]),
              ),
          ),
        ),
      )
      .orderBy("a.createdAt")
      .orderBy("a.id")
      .limit(idsPerBatch * 4)
      .execute();
    const [first] = due;
    if (!first) return { due: 0, claimed: [] };
    const next =
      first.kind === "command"
        ? [first]
        : due
            .filter((d) => d.kind === first.kind && d.deprovisionReason === first.deprovisionReason)
            .slice(0, idsPerBatch);
    const token = this.claimToken();
    await this.db
      .updateTable("deviceActions")
      .set((eb) => ({
        state: "sent",
        claimedBy: token,
        claimedUntil: this.claimEnd(now),
        attempts: eb("attempts", "+", 1),
        updatedAt: at,
      }))
      .where(
        "id",
        "in",
        next.map((d) => d.id),
      )
      .where("state", "=", "requested")
      .execute();
    const claimed = await this.db
      .selectFrom("deviceActions")
      .selectAll()
      .where("claimedBy", "=", token)
      .orderBy("createdAt")
      .execute();
    return { due: next.length, claimed };
  }

  async #sendStatusChange(actions: DeviceActionRow[]): Promise<void> {
    const first = actions[0] as DeviceActionRow;
    const kind = first.kind as keyof typeof googleAction;
    let results: StatusResult[];
    try {
      results = await this.directory.changeStatus(
        actions.map((a) => a.deviceId),
        googleAction[kind],
        first.deprovisionReason ?? undefined,
      );
    } catch (error) {
      await this.#failedCall(actions, error);
      return;
    }
    for (const action of actions) {
      const held = { claimedBy: action.claimedBy };
      const result = results.find((r) => r.deviceId === action.deviceId);
      if (result && !result.error) {
        await this.#finish(action, held, "confirmed", { google: result });
        continue;
      }
      // Refused for this device: if it is already in the wanted state (an earlier attempt went
      // through, or someone changed it in the Admin console), the action's effect holds: confirm it.
      let current: Awaited<ReturnType<DirectoryAdapter["getDevice"]>> | undefined;
      try {
        current = await this.directory.getDevice(action.deviceId);
      } catch (error) {
        // Google did not answer the read (throttled, failing, breaker open): the device may well be
        // in the wanted state already, so ask again later rather than call the action failed.
        if (isTransient(error)) {
          await this.#failedCall([action], error);
          continue;
        }
      }
      if (current && current.status === statusAfter[kind]) {
        await this.#finish(action, held, "confirmed", {
          google: { ...result, alreadyApplied: true, status: current.status },
        });
      } else {
        await this.#finish(action, held, "failed", {
          google: result ?? { deviceId: action.deviceId, error: { message: "Google gave no result for this device." } },
          error: result?.error?.message ?? "Google gave no result for this device.",
        });
      }
    }
  }

  async #sendCommand(action: DeviceActionRow): Promise<void> {
    try {
      const payload =
        action.commandType === "FETCH_SUPPORT_PACKET"
          ? JSON.stringify({ supportPacketDetails: { issueDescription: action.reason.slice(0, 500) } })
          : undefined;
      const commandId = await this.directory.issueCommand(
        action.deviceId,
        action.commandType as string,
        action.id,
        payload,
      );
      const at = this.now().toISOString();
      const recorded = await this.db
        .updateTable("deviceActions")
        // From here `attempts` counts reads of its state that failed, not the tries to send it.
        .set({ commandId, commandState: "PENDING", attempts: 0, nextAttemptAt: at, updatedAt: at })
        .where("id", "=", action.id)
        .where("state", "=", "sent")
        .where("claimedBy", "=", action.claimedBy)
        .executeTakeFirst();
      if (!Number(recorded.numUpdatedRows))
        this.log.error(
          "command issued, but its action is no longer held by this worker; its record was left as it is",
          {
            actionId: action.id,
            commandId,
            holder: action.claimedBy,
          },
        );
    } catch (error) {
      // Sent again only when Google surely did not act (throttled, unavailable, or never asked).
      const surelyNotSent =
        error instanceof CircuitOpenError || (error instanceof GoogleCallError && surelyNotActed(error.failure));
      if (surelyNotSent) {
        await this.#failedCall([action], error);
        return;
      }
      await this.#finish(action, { claimedBy: action.claimedBy }, "failed", { error: sendFailure(error) });
    }
  }

  async #followCommands(): Promise<number> {
    const at = this.now();
    const due = await this.db
      .selectFrom("deviceActions")
      .selectAll()
      .where("state", "=", "sent")
      .where("commandId", "is not", null)
      .where("nextAttemptAt", "<=", at.toISOString())
      .limit(200)
      .execute();
    let moved = 0;
    for (const action of due) {
      const held = { commandId: action.commandId as string };
      let command: Awaited<ReturnType<DirectoryAdapter["getCommand"]>>;
      try {
        command = await this.directory.getCommand(action.deviceId, action.commandId as string);
      } catch (error) {
        if (await this.#unreadCommand(action, error)) moved += 1;
        continue;
      }
      const state = command.state ?? "PENDING";
      if (!endedCommandStates.has(state)) {
        if (state !== action.commandState) moved += 1;
        await this.db
          .updateTable("deviceActions")
          .set({
            commandState: state,
            nextAttemptAt: new Date(at.getTime() + this.#options.commandPollMs).toISOString(),
            updatedAt: at.toISOString(),
          })
          .where("id", "=", action.id)
          .where("state", "=", "sent")
          .where("commandId", "=", held.commandId)
          .execute();
        continue;
      }
      moved += 1;
      const succeeded = state === "EXECUTED_BY_CLIENT" && (command.commandResult?.result ?? "SUCCESS") === "SUCCESS";
      let files: unknown[] | undefined;
      if (succeeded && action.commandType === "FETCH_SUPPORT_PACKET") {
        const device = await this.directory.getDevice(action.deviceId).catch(() => undefined);
        files = (device?.deviceFiles ?? []).filter(
          (f) => !command.issueTime || !f.createTime || f.createTime >= command.issueTime,
        );
      }
      await this.#finish(action, held, succeeded ? "confirmed" : "failed", {
        google: command,
        commandState: state,
        files,
        error: succeeded
          ? undefined
          : (command.commandResult?.errorMessage ??
            `The command ended ${state.toLowerCase().replaceAll("_", " ")} without running.`),
      });
    }
    return moved;
  }

  /**
   * A command whose state Google did not give: read again later, or give up with the reason when
   * Google no longer has it (404: the device was removed) or after `commandTries`. Answers whether it ended.
   */
  async #unreadCommand(action: DeviceActionRow, error: unknown): Promise<boolean> {
    const held = { commandId: action.commandId as string };
    const message = error instanceof Error ? error.message : String(error);
    const tries = action.attempts + 1;
    const gone = error instanceof GoogleCallError && error.failure.status === 404;
    if (gone || tries >= this.#options.commandTries) {
      await this.#finish(action, held, "failed", {
        commandState: action.commandState ?? undefined,
        error: gone
          ? `Google no longer has this command (the device may have been removed or deprovisioned), so TechDesk cannot tell whether it ran. Check the device in the Google Admin console. (${message})`
          : `TechDesk could not read this command's state from Google after ${tries} tries, so it stopped following it. Google may have run it: check the device in the Google Admin console, then send it again if needed. (${message})`,
      });
      return true;
    }
    this.log.warn("command state not read; trying later", { actionId: action.id, error: message });
    await this.db
      .updateTable("deviceActions")
      .set({ attempts: tries, nextAttemptAt: this.later(tries).toISOString(), error: message })
      .where("id", "=", action.id)
      .where("state", "=", "sent")
      .where("commandId", "=", held.commandId)
      .execute();
    return false;
  }

  /** Google did not answer (outage, breaker open) or refused outright: park or fail the lot. */
  async #failedCall(actions: DeviceActionRow[], error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    if (!isTransient(error)) {
      for (const action of actions)
        await this.#finish(action, { claimedBy: action.claimedBy }, "failed", { error: message });
      return;
    }
    const at = this.now().toISOString();
    for (const action of actions) {
      const next = this.retryAt(error, action.attempts).toISOString();
      await this.db
        .updateTable("deviceActions")
        .set({
          state: "requested",
          claimedBy: null,
          claimedUntil: null,
          nextAttemptAt: next,
          error: message,
          updatedAt: at,
        })
        .where("id", "=", action.id)
        .where("state", "=", "sent")
        .where("claimedBy", "=", action.claimedBy)
        .execute();
    }
    this.log.warn("Google is failing; device actions parked", { actions: actions.length, error: message });
  }

  /**
   * The action's end, its device's new status, the audit entry and the ticket's entry: one
   * transaction, written only while the row is still as `hold` says (otherwise another worker took
   * it over or ended it, and this outcome is only logged).
   */
  async #finish(
    action: DeviceActionRow,
    hold: Hold,
    state: "confirmed" | "failed",
    outcome: { google?: unknown; error?: string; commandState?: string; files?: unknown[] },
  ): Promise<void> {
    const at = this.now().toISOString();
    const name = actionName(action);
    const ended = await this.db.transaction().execute(async (trx) => {
      let update = trx
        .updateTable("deviceActions")
        .set({
          state,
          result:
            outcome.google === undefined
              ? null
              : JSON.stringify({ ...(outcome.google as object), files: outcome.files }),
          error: outcome.error ?? null,
          commandState: outcome.commandState ?? action.commandState,
          finishedAt: at,
          updatedAt: at,
          claimedBy: null,
          claimedUntil: null,
        })
        .where("id", "=", action.id)
        .where("state", "=", "sent");
      if ("commandId" in hold) update = update.where("commandId", "=", hold.commandId);
      else {
        update = update.where("claimedBy", hold.claimedBy === null ? "is" : "=", hold.claimedBy);
        if (hold.claimedUntil !== undefined)
          update = update.where("claimedUntil", hold.claimedUntil === null ? "is" : "=", hold.claimedUntil);
      }
      const updated = await update.executeTakeFirst();
      if (!Number(updated.numUpdatedRows)) return false;
      const device = await trx
        .selectFrom("devices")
        .select(["status"])
        .where("deviceId", "=", action.deviceId)
        .executeTakeFirst();
      const after = state === "confirmed" && action.kind !== "command" ? statusAfter[action.kind] : device?.status;
      if (after !== device?.status)
        await trx
          .updateTable("devices")
          .set({ status: after ?? null })
          .where("deviceId", "=", action.deviceId)
          .execute();
      await appendAudit(trx, {
        at,
        actorId: action.requestedById,
        actorName: action.requestedByName,
        action: `${name}.${state}`,
        deviceId: action.deviceId,
        serialNumber: action.serialNumber,
        school: action.school,
        reason: outcome.error ? `${action.reason} — ${outcome.error}` : action.reason,
        requestId: action.requestId,
        before: { status: device?.status ?? null, actionId: action.id },
        after: { status: after ?? null, state, attempts: action.attempts },
        google: outcome.google,
      });
      if (action.ticketNumber) {
        // The ticket's row first (locked on PostgreSQL), then its entry: see `noteOnTicket`.
        await trx.updateTable("tickets").set({ updatedAt: at }).where("number", "=", action.ticketNumber).execute();
        await tickets.insertTicketEvent(trx, {
          ticketNumber: action.ticketNumber,
          kind: "device",
          actorId: action.requestedById,
          actorName: action.requestedByName,
          detail: JSON.stringify({
            event: state === "confirmed" ? "action_confirmed" : "action_failed",
            action: name,
            actionId: action.id,
            serialNumber: action.serialNumber,
            error: outcome.error,
            files: outcome.files,
          }),
          createdAt: at,
        });
      }
      if (state === "failed")
        await notify(trx, {
          permission: "device.disable",
          school: action.school,
          title: `${name.replace("device.", "").replaceAll(/[._]/g, " ")} failed for ${action.serialNumber ?? action.deviceId}`,
          body: outcome.error ?? "Google refused it.",
          link: `#/devices/${encodeURIComponent(action.deviceId)}`,
          at,
        });
      return true;
    });
    if (!ended)
      this.log.warn("device action no longer held by this worker; its outcome was not recorded", {
        actionId: action.id,
        outcome: state,
        error: outcome.error,
      });
  }
}

/** Why a command was not sent again: Google may have acted on it (a dropped connection, a 500, 502 or 504), or refused it. */
function sendFailure(error: unknown): string {
  if (!(error instanceof GoogleCallError && isRetryable(error.failure)))
    return String(error instanceof Error ? error.message : error);
  const what = error.failure.network
    ? "The connection to Google dropped while sending"
    : `Google answered ${error.failure.status} while sending`;
  return `${what}, so Google may or may not have acted on the command. Check the device, then send it again if needed. (${error.message})`;
}
