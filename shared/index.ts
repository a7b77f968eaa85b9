/** The wire contract between the extension and the agent. No I/O lives here. */

export * from "./compliance";
export * from "./console";
export * from "./device-actions";
export * from "./devices";
export * from "./diagnostics";
export * from "./enrollment";
export * from "./errors";
export * from "./filter";
export * from "./jobs";
export * from "./permissions";
export * from "./report";
export * from "./ticket";
