/** The console shell: sign-in, the navigation, and the page the address names. */
import { useEffect, useRef, useState } from "preact/hooks";
import { staffRoleLabels } from "../../shared";
import { ApiFailure, api, dropHeldReads, readsHeld, resumeAfterSignIn, whenSignedOut } from "./api";
import { Notifications } from "./components/Notifications";
import { Audit } from "./pages/Audit";
import { DevicePage } from "./pages/DevicePage";
import { Devices } from "./pages/Devices";
import { Filter } from "./pages/Filter";
import { Jobs } from "./pages/Jobs";
import { Lost } from "./pages/Lost";
import { Queue } from "./pages/Queue";
import { Settings } from "./pages/Settings";
import { SignIn, SignInAgain, useLastFocus } from "./pages/SignIn";
import { TicketPage } from "./pages/TicketPage";
import { Users } from "./pages/Users";
import { go, useRoute } from "./router";
import type { Session } from "./session";

export function App() {
  const [session, setSession] = useState<Session | null>();
  // The session ended mid-work: sign-in shows over the page, which keeps what was typed.
  const [ended, setEnded] = useState(false);
  const [signOutError, setSignOutError] = useState<string>();
  const route = useRoute();
  const lastFocus = useLastFocus();

  const load = () =>
    api<Session>("/api/session")
      .then((fresh) => {
        setSession(fresh);
        setEnded(false);
      })
      .catch(() => setSession(null));
  // Who is signed in, for the check below, which runs outside any render.
  const signedInAs = useRef<string | undefined>(undefined);
  signedInAs.current = session?.user.id;
  const checking = useRef(false);
  /**
   * A call went through while reads wait for sign-in: the person signed in somewhere else (another
   * tab), perhaps after closing the dialog here, which alone would have resumed them. Ask who it is.
   */
  async function signedInElsewhere() {
    if (checking.current) return;
    checking.current = true;
    try {
      const fresh = await api<Session>("/api/session");
      if (!readsHeld() || signedInAs.current === undefined) return;
      if (fresh.user.id !== signedInAs.current) {
        location.reload();
        return;
      }
      setSession(fresh);
      setEnded(false);
      resumeAfterSignIn();
    } catch {
      // Still signed out here (or the agent is away): the held reads keep waiting for sign-in.
    } finally {
      checking.current = false;
    }
  }
  useEffect(() => {
    whenSignedOut(() => setEnded(true), signedInElsewhere);
    load();
  }, []);

  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={load} />;
  const signedIn = session;

  /** Back from the dialog: the same person carries on here; anyone else gets a fresh console. */
  async function signedInAgain() {
    let fresh: Session;
    try {
      fresh = await api<Session>("/api/session");
    } catch (failure) {
      // The form shows this; signing in again from it checks once more.
      throw new Error(`You signed in, but the console could not check who is signed in: ${(failure as Error).message}`);
    }
    if (fresh.user.id !== signedIn.user.id) {
      // The page on screen holds the first person's data: reload so none of it stays.
      location.reload();
      return;
    }
    setSession(fresh);
    setEnded(false);
    setSignOutError(undefined);
    resumeAfterSignIn();
  }

  async function signOut(everywhere: boolean) {
    setSignOutError(undefined);
    try {
      if (everywhere) await api("/api/session/sign-out-everywhere", { method: "POST", body: {} });
      else await api("/api/session", { method: "DELETE" });
    } catch (failure) {
      if (!(failure instanceof ApiFailure && failure.status === 401)) {
        setSignOutError(`Sign-out did not work, so you are still signed in: ${(failure as Error).message}`);
        return;
      }
      // The session had already ended: signed out here. Signing out everywhere needs someone
      // signed in, so the dialog asks for that first.
      if (everywhere) return;
    }
    // Reads held for this person fail now: they are never sent for whoever signs in next.
    dropHeldReads();
    setEnded(false);
    setSession(null);
  }

  const roles = [...new Set(session.grants.map((g) => staffRoleLabels[g.role]))].join(", ");
  return (
    <>
      <header class="bar">
        <a class="brand" href="#/tickets">
          TechDesk
        </a>
        <nav aria-label="Main">
          <a href="#/tickets" aria-current={route.page === "queue" || route.page === "ticket" ? "page" : undefined}>
            Tickets
          </a>
          {session.permissions.includes("device.read") && (
            <a href="#/devices" aria-current={route.page === "devices" || route.page === "device" ? "page" : undefined}>
              Devices
            </a>
          )}
          {session.permissions.includes("device.read") && (
            <a href="#/lost" aria-current={route.page === "lost" ? "page" : undefined}>
              Lost &amp; stolen
            </a>
          )}
          {session.permissions.includes("filter.audit.read") && (
            <a href="#/filter" aria-current={route.page === "filter" ? "page" : undefined}>
              Filter integrity
            </a>
          )}
          {session.permissions.includes("audit.read") && (
            <a href="#/audit" aria-current={route.page === "audit" ? "page" : undefined}>
              Audit log
            </a>
          )}
          {session.permissions.includes("job.read") && (
            <a href="#/jobs" aria-current={route.page === "jobs" ? "page" : undefined}>
              Jobs
            </a>
          )}
          {session.permissions.includes("user.manage") && (
            <a href="#/users" aria-current={route.page === "users" ? "page" : undefined}>
              Users and roles
            </a>
          )}
          {session.permissions.includes("user.manage") && (
            <a href="#/settings" aria-current={route.page === "settings" ? "page" : undefined}>
              Settings
            </a>
          )}
        </nav>
        <Notifications />
        <div class="who">
          <span>
            {session.user.displayName} <span class="muted">({roles})</span>
          </span>
          <button type="button" class="link" onClick={() => signOut(false)}>
            Sign out
          </button>
          <button type="button" class="link" onClick={() => signOut(true)}>
            Sign out everywhere
          </button>
          {signOutError && (
            <p class="error" role="alert">
              {signOutError}
            </p>
          )}
        </div>
      </header>
      <main>
        {route.page === "queue" && <Queue query={route.query} session={session} />}
        {route.page === "ticket" && (
          <TicketPage number={route.number} session={session} onBack={() => go("#/tickets")} />
        )}
        {route.page === "users" && <Users session={session} />}
        {route.page === "devices" && <Devices query={route.query} />}
        {route.page === "device" && <DevicePage deviceId={route.deviceId} ticket={route.ticket} />}
        {route.page === "jobs" && <Jobs />}
        {route.page === "filter" && <Filter />}
        {route.page === "lost" && <Lost />}
        {route.page === "audit" && <Audit />}
        {route.page === "settings" && <Settings />}
      </main>
      {ended && (
        <SignInAgain
          email={session.user.email}
          returnFocus={lastFocus.current}
          onSignedIn={signedInAgain}
          onDismiss={() => setEnded(false)}
        />
      )}
    </>
  );
}
