/**
 * Sign-in: Google (when the district has turned it on) or a local account. The page on first load;
 * the dialog over the page when a session ends mid-work, so what the person typed stays.
 */
import type { Ref } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { api } from "../api";

const googleErrors: Record<string, string> = {
  not_in_domain: "That Google account is not one of the district's. Sign in with your school account.",
  unverified_email: "Google has not verified that account's email address.",
  no_account: "Your Google account is fine, but TechDesk has no account for you yet. Ask a district admin to add you.",
  disabled: "Your TechDesk account is disabled. Ask a district admin.",
  expired: "The Google sign-in took too long or was interrupted. Try again.",
  cancelled: "Google sign-in was cancelled.",
  bad_token: "Google's answer could not be checked. Try again.",
  google_off: "Google sign-in is not turned on for this TechDesk.",
};

/** Whether the district has turned Google sign-in on. */
function useGoogleSignIn(): boolean {
  const [google, setGoogle] = useState(false);
  useEffect(() => {
    api<{ google: boolean }>("/api/auth/methods").then(
      (m) => setGoogle(m.google),
      () => setGoogle(false),
    );
  }, []);
  return google;
}

/** Google sign-in's start. The browser never sends the hash, so the page to come back to goes along. */
function googleHref(): string {
  return location.hash.startsWith("#/")
    ? `/api/auth/google?route=${encodeURIComponent(location.hash)}`
    : "/api/auth/google";
}

function SignInForm({
  email: startEmail = "",
  error: startError,
  passwordRef,
  onSignedIn,
}: {
  email?: string;
  error?: string;
  passwordRef?: Ref<HTMLInputElement>;
  onSignedIn: () => unknown;
}) {
  // Unique ids: the dialog's form sits over pages that have an Email field of their own.
  const id = useId();
  const [email, setEmail] = useState(startEmail);
  const [password, setPassword] = useState("");
  const [error, setError] = useState(startError);
  const [busy, setBusy] = useState(false);
  useEffect(() => setError(startError), [startError]);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api("/api/session", { method: "POST", body: { email, password } });
      await onSignedIn();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit}>
      <label for={`${id}-email`}>Email</label>
      <input
        id={`${id}-email`}
        type="email"
        autoComplete="username"
        required
        value={email}
        onInput={(e) => setEmail(e.currentTarget.value)}
      />
      <label for={`${id}-password`}>Password</label>
      <input
        id={`${id}-password`}
        ref={passwordRef}
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onInput={(e) => setPassword(e.currentTarget.value)}
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const google = useGoogleSignIn();
  const [error, setError] = useState<string>();

  useEffect(() => {
    const reason = new URLSearchParams(location.search).get("signin_error");
    if (reason) {
      setError(googleErrors[reason] ?? "Sign-in did not work. Try again.");
      history.replaceState(null, "", location.pathname + location.hash);
    }
  }, []);

  return (
    <main class="sign-in">
      <h1>TechDesk</h1>
      <p class="muted">Sign in to the school tech desk.</p>
      {google && (
        <p>
          <a class="primary google" href={googleHref()}>
            Sign in with Google
          </a>
        </p>
      )}
      <SignInForm error={error} onSignedIn={onSignedIn} />
    </main>
  );
}

/**
 * Where the person last was on the page, for focus to go back to after signing in again: the
 * button they pressed may have been disabled (and so lost focus) while its call was refused.
 */
export function useLastFocus() {
  const lastFocus = useRef<HTMLElement | undefined>(undefined);
  useEffect(() => {
    const listening = new AbortController();
    addEventListener(
      "focusin",
      (event) => {
        if (event.target instanceof HTMLElement && !event.target.closest("dialog")) lastFocus.current = event.target;
      },
      { signal: listening.signal },
    );
    return () => listening.abort();
  }, []);
  return lastFocus;
}

/**
 * Focus back where the person was. Their button may still be disabled, busy until its held read
 * comes back: focus waits for it (up to 2 s) unless the person moves on meanwhile. When it has
 * gone from the page, the page's heading takes focus instead, so focus is not lost on <body>.
 */
function giveFocusBack(returnFocus: HTMLElement | undefined) {
  const focusHeading = () => {
    const heading = document.querySelector<HTMLElement>("main h1");
    if (!heading) return;
    if (!heading.hasAttribute("tabindex")) heading.tabIndex = -1;
    heading.focus();
  };
  if (!returnFocus?.isConnected) {
    focusHeading();
    return;
  }
  const disabled = () => returnFocus.matches(":disabled");
  if (!disabled()) {
    returnFocus.focus();
    return;
  }
  const waitingSince = document.activeElement;
  const started = Date.now();
  const timer = setInterval(() => {
    const movedOn = document.activeElement !== waitingSince && document.activeElement !== document.body;
    if (movedOn || Date.now() - started > 2000) clearInterval(timer);
    else if (!returnFocus.isConnected) {
      clearInterval(timer);
      focusHeading();
    } else if (!disabled()) {
      clearInterval(timer);
      returnFocus.focus();
    }
  }, 50);
}

/**
 * The session ended while the person was working: sign in again in a modal dialog over the page,
 * which stays as it was. Closed without signing in ("Not now", Escape), the page stays too, and
 * the next call the agent refuses opens the dialog again.
 */
export function SignInAgain({
  email,
  returnFocus,
  onSignedIn,
  onDismiss,
}: {
  email: string;
  /** Where focus goes when the dialog closes: where the person was on the page. */
  returnFocus?: HTMLElement;
  onSignedIn: () => unknown;
  onDismiss: () => void;
}) {
  const google = useGoogleSignIn();
  const headingId = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const password = useRef<HTMLInputElement>(null);
  // Closed because the person signed in (the dialog is going away), not dismissed.
  const done = useRef(false);

  useEffect(() => {
    const element = dialog.current;
    element?.showModal();
    password.current?.focus();
    return () => {
      done.current = true;
      element?.close();
      giveFocusBack(returnFocus);
    };
  }, []);

  return (
    <dialog
      ref={dialog}
      class="sign-in sign-in-again"
      aria-labelledby={headingId}
      onClose={() => {
        if (!done.current) onDismiss();
      }}
    >
      <h2 id={headingId}>Sign in again</h2>
      <p>Your session has ended. Sign in to carry on: this page stays as it is, with what you typed.</p>
      <SignInForm email={email} passwordRef={password} onSignedIn={onSignedIn} />
      {google && (
        <>
          <p>
            <a class="secondary google" href={googleHref()}>
              Sign in with Google
            </a>
          </p>
          <p class="muted">
            Google sign-in leaves this page, so anything not yet saved here will be lost. To keep it, choose Not now and
            copy it first.
          </p>
        </>
      )}
      <button type="button" class="link" onClick={() => dialog.current?.close()}>
        Not now
      </button>
    </dialog>
  );
}
