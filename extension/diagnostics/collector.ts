/**
 * The collector contract: each collector returns `{ data, warnings }` and never throws. A Chrome
 * API that is missing, throws, hangs or answers "" costs its field and adds a warning — never the
 * whole report.
 */

import type { z } from "zod";
import { type CollectorName, collectorSchemas, type DiagnosticWarning } from "../../shared/diagnostics";

export type CollectorData<N extends CollectorName> = z.infer<(typeof collectorSchemas)[N]>;

export interface CollectorResult<T> {
  data?: T;
  warnings: string[];
}

export interface Collector<N extends CollectorName = CollectorName> {
  name: N;
  collect(warn: (message: string) => void): Promise<CollectorData<N> | undefined>;
}

export function defineCollector<N extends CollectorName>(name: N, collect: Collector<N>["collect"]): Collector<N> {
  return { name, collect };
}

/** Resolves with `fallback` when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error && "message" in error) return String(error.message);
  return String(error);
}

/**
 * Calls one Chrome API function and returns its answer, or `undefined` with a warning when the API
 * is missing, throws, rejects or does not answer within `ms`.
 */
export async function callApi<T>(
  label: string,
  fn: (() => Promise<T> | T) | undefined,
  warn: (message: string) => void,
  ms = 120,
): Promise<T | undefined> {
  if (typeof fn !== "function") {
    warn(`${label} is not available on this device.`);
    return undefined;
  }
  try {
    let timedOut = false;
    const value = await withTimeout(Promise.resolve().then(fn), ms, () => {
      timedOut = true;
      return undefined;
    });
    if (timedOut) warn(`${label} did not answer within ${ms} ms.`);
    return value;
  } catch (error) {
    warn(`${label} failed: ${describe(error)}`);
    return undefined;
  }
}

/**
 * Runs one collector under a deadline. Whatever happens, the answer is `{ data?, warnings }`; data
 * that does not fit the shared schema is dropped with a warning rather than sent.
 */
export async function runCollector<N extends CollectorName>(
  collector: Collector<N>,
  deadlineMs: number,
): Promise<CollectorResult<CollectorData<N>>> {
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);
  let timedOut = false;
  let data: CollectorData<N> | undefined;
  try {
    data = await withTimeout(collector.collect(warn), deadlineMs, () => {
      timedOut = true;
      return undefined;
    });
  } catch (error) {
    warn(`failed: ${describe(error)}`);
  }
  if (timedOut)
    return {
      warnings: [...warnings, `did not finish within ${deadlineMs} ms.`],
    };
  if (data === undefined) return { warnings };
  const parsed = collectorSchemas[collector.name].safeParse(data);
  if (!parsed.success) {
    return {
      warnings: [...warnings, `returned data that does not fit the report format: ${parsed.error.issues[0]?.message}`],
    };
  }
  return { data: parsed.data as CollectorData<N>, warnings };
}

export function toWarnings(collector: string, messages: string[]): DiagnosticWarning[] {
  return messages.map((message) => ({
    collector,
    message: message.slice(0, 500),
  }));
}

/** Drops keys whose value is undefined or "", so empty enterprise answers leave no trace. */
export function compact<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && v !== "");
  return entries.length ? (Object.fromEntries(entries) as T) : undefined;
}
