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

/** How the app hears about the session: it ended, or a call went through while reads were held. */
let onSignedOut: () => void = () => {};
let onAnsweredWhileHeld: () => void = () => {};
export function whenSignedOut(handler: () => void, answeredWhileHeld: () => void = () => {}) {
  onSignedOut = handler;
  onAnsweredWhileHeld = answeredWhileHeld;
}

/**
 * How many times someone has signed in on this page. A call sent before the latest sign-in whose
 * 401 arrives after it was refused for the old session, not the new one: it is sent again once
 * instead of asking the person to sign in again just after they did.
 */
let signIns = 0;

/** Reads refused because the session ended, waiting to be sent again once the person has signed in. */
let waitingForSignIn: { signedIn: Promise<void>; resume: () => void; drop: (reason: ApiFailure) => void } | undefined;

function signedInAgain(): Promise<void> {
  if (!waitingForSignIn) {
    let resume = () => {};
    let drop: (reason: ApiFailure) => void = () => {};
    const signedIn = new Promise<void>((resolve, reject) => {
      resume = resolve;
      drop = reject;
    });
    waitingForSignIn = { signedIn, resume, drop };
  }
  return waitingForSignIn.signedIn;
}

/** Whether reads are waiting for the person to sign in again. */
export function readsHeld(): boolean {
  return waitingForSignIn !== undefined;
}

/** The same person signed in again: the reads held back since their session ended go out now. */
export function resumeAfterSignIn() {
  signIns++;
  waitingForSignIn?.resume();
  waitingForSignIn = undefined;
}

/** The person signed out: the reads held for them fail, and are never sent for whoever signs in next. */
export function dropHeldReads() {
  waitingForSignIn?.drop(new ApiFailure("You signed out.", 401));
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

/** Calls that answer without a session: their answers say nothing about whether the person is signed in. */
const answersSignedOut = (path: string) => path === "/api/session" || path.startsWith("/api/auth/");

/**
 * When the session has ended (401), a read waits for the person to sign in again and is then sent
 * again, so a page reloading what it shows keeps its place and what was typed into it. A change is
 * refused with the reason instead: the person repeats it once signed in, knowing it was not made.
 * A `background` call (a timer's poll, which nobody asked for just now) neither asks the person to
 * sign in nor waits: it fails with the 401, and the next tick tries again. Otherwise every tick
 * would reopen a dialog the person closed, and add one more held read.
 * `/api/session` itself answers 401 for a wrong password or no session; it is never held.
 */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; background?: boolean } = {},
): Promise<T> {
  let response: Response;
  let sentAgain = false;
  for (;;) {
    const sentAfter = signIns;
    response = await send(path, init);
    if (response.status !== 401 || path === "/api/session") break;
    if (sentAfter < signIns && !sentAgain) {
      sentAgain = true;
      continue;
    }
    if (init.background) break;
    const signedIn = signedInAgain();
    onSignedOut();
    if ((init.method ?? "GET") !== "GET") break;
    await signedIn;
  }
  if (path === "/api/session" && init.method === "POST" && response.ok) signIns++;
  // Reads are held, yet this call went through: the person has signed in elsewhere (another tab).
  if (response.status !== 401 && waitingForSignIn && !answersSignedOut(path)) onAnsweredWhileHeld();
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
