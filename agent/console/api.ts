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

/** Called when the agent says the session is gone, so the app can ask the person to sign in again. */
let onSignedOut: () => void = () => {};
export function whenSignedOut(handler: () => void) {
  onSignedOut = handler;
}

/** Reads refused because the session ended, waiting to be sent again once the person has signed in. */
let waitingForSignIn: { signedIn: Promise<void>; resume: () => void } | undefined;

function signedInAgain(): Promise<void> {
  if (!waitingForSignIn) {
    let resume = () => {};
    const signedIn = new Promise<void>((resolve) => {
      resume = resolve;
    });
    waitingForSignIn = { signedIn, resume };
  }
  return waitingForSignIn.signedIn;
}

/** The same person signed in again: the reads held back since their session ended go out now. */
export function resumeAfterSignIn() {
  waitingForSignIn?.resume();
  waitingForSignIn = undefined;
}

function send(path: string, init: { method?: string; body?: unknown }): Promise<Response> {
  return fetch(path, {
    method: init.method ?? "GET",
    credentials: "same-origin",
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/**
 * When the session has ended (401), a read waits for the person to sign in again and is then sent
 * again, so a page reloading what it shows keeps its place and what was typed into it. A change is
 * refused with the reason instead: the person repeats it once signed in, knowing it was not made.
 * `/api/session` itself answers 401 for a wrong password or no session; it is never held.
 */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  let response = await send(path, init);
  while (response.status === 401 && path !== "/api/session") {
    const signedIn = signedInAgain();
    onSignedOut();
    if ((init.method ?? "GET") !== "GET") break;
    await signedIn;
    response = await send(path, init);
  }
  if (response.status === 204) return undefined as T;
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const envelope = errorEnvelope.safeParse(body);
    throw new ApiFailure(
      envelope.success ? envelope.data.error.message : `The agent answered ${response.status}.`,
      response.status,
    );
  }
  return body as T;
}
