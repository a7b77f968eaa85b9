/** Sign-in: Google (when the district has turned it on) or a local account. */

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

import { useEffect, useState } from "preact/hooks";
import { api } from "../api";

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [google, setGoogle] = useState(false);

  useEffect(() => {
    api<{ google: boolean }>("/api/auth/methods").then(
      (m) => setGoogle(m.google),
      () => setGoogle(false),
    );
    const reason = new URLSearchParams(location.search).get("signin_error");
    if (reason) {
      setError(googleErrors[reason] ?? "Sign-in did not work. Try again.");
      history.replaceState(null, "", location.pathname + location.hash);
    }
  }, []);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api("/api/session", { method: "POST", body: { email, password } });
      onSignedIn();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <h1>TechDesk</h1>
      <p class="muted">Sign in to the school tech desk.</p>
      {google && (
        <p>
          <a class="primary google" href="/api/auth/google">
            Sign in with Google
          </a>
        </p>
      )}
      <form onSubmit={submit}>
        <label for="email">Email</label>
        <input
          id="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
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
    </main>
  );
}
