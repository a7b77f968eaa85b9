/** The console's calls to the agent: same-origin JSON, errors turned into sentences. */
import { errorEnvelope } from "../../shared";

export class ApiFailure extends Error {
  override name = "ApiFailure";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Called when the agent says the session is gone, so the app can show sign-in. */
let onSignedOut: () => void = () => {};
export function whenSignedOut(handler: () => void) {
  onSignedOut = handler;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(path, {
    method: init.method ?? "GET",
    credentials: "same-origin",
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (response.status === 204) return undefined as T;
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const envelope = errorEnvelope.safeParse(body);
    if (response.status === 401 && path !== "/api/session") onSignedOut();
    throw new ApiFailure(
      envelope.success ? envelope.data.error.message : `The agent answered ${response.status}.`,
      response.status,
    );
  }
  return body as T;
}
