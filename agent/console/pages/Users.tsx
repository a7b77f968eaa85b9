/** Users and roles (district admins): who can sign in, with which role in which school. */
import { useEffect, useRef, useState } from "preact/hooks";
import { type StaffMember, type StaffRole, staffRoleLabels, staffRoles } from "../../../shared";
import { api } from "../api";
import { Status } from "../components/Status";
import { schoolName } from "../format";
import type { Session } from "../session";

export function Users({ session }: { session: Session }) {
  const [users, setUsers] = useState<StaffMember[]>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  /**
   * A change is on its way: every button that makes one waits, so a double click sends it once. The
   * buttons are `aria-disabled`, not `disabled`: Chromium moves focus off a button that becomes
   * disabled, to the page, and a keyboard or screen reader user would lose their place.
   */
  const [busy, setBusy] = useState(false);
  const working = useRef(false);
  const load = () =>
    api<{ users: StaffMember[] }>("/api/users")
      .then((r) => setUsers(r.users))
      .catch((failure: Error) => setError(failure.message));
  useEffect(() => {
    load();
  }, []);

  /**
   * Runs a change and says how it went; answers whether it was made. One at a time: one asked for
   * while another is on its way (a click on a waiting button) is not sent.
   */
  async function act(work: () => Promise<unknown>, done: string): Promise<boolean> {
    if (working.current) return false;
    working.current = true;
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      await work();
      setNotice(done);
      await load();
      return true;
    } catch (failure) {
      setError((failure as Error).message);
      return false;
    } finally {
      working.current = false;
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="users-heading">
      <h1 id="users-heading">Users and roles</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <Status>{notice}</Status>
      <AddUser
        busy={busy}
        onAdd={(body) => act(() => api("/api/users", { method: "POST", body }), `Added ${body.email}.`)}
      />
      {users && (
        <table class="users">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Roles</th>
              <th scope="col">Account</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <td data-label="Name">{u.displayName}</td>
                <td data-label="Email">{u.email}</td>
                <td data-label="Roles">
                  {u.grants
                    .map(
                      (g) =>
                        `${staffRoleLabels[g.role]} (${g.school === "*" ? "whole district" : schoolName(g.school)})`,
                    )
                    .join(", ")}
                  {u.id !== session.user.id && (
                    <RoleEditor
                      user={u}
                      busy={busy}
                      onSave={(grants) =>
                        act(
                          () => api(`/api/users/${u.id}`, { method: "PATCH", body: { grants } }),
                          `Changed the role of ${u.email}.`,
                        )
                      }
                    />
                  )}
                </td>
                <td data-label="Account">
                  {u.id === session.user.id ? (
                    "You"
                  ) : (
                    <button
                      type="button"
                      class="secondary"
                      aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.email}`}
                      aria-disabled={busy}
                      onClick={() =>
                        act(
                          () => api(`/api/users/${u.id}`, { method: "PATCH", body: { disabled: !u.disabled } }),
                          `${u.email} is now ${u.disabled ? "enabled" : "disabled"}.`,
                        )
                      }
                    >
                      {u.disabled ? "Enable" : "Disable"}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface NewUser {
  email: string;
  displayName: string;
  password?: string;
  grants: { role: StaffRole; school: string }[];
}

function AddUser({ busy, onAdd }: { busy: boolean; onAdd: (body: NewUser) => Promise<boolean> }) {
  return (
    <form
      class="add-user"
      aria-label="Add a user"
      onSubmit={async (event) => {
        event.preventDefault();
        const element = event.currentTarget;
        const form = new FormData(element);
        const text = (name: string) => String(form.get(name) ?? "").trim();
        const added = await onAdd({
          email: text("email"),
          displayName: text("displayName"),
          password: text("password") || undefined,
          grants: [{ role: text("role") as StaffRole, school: text("school") || "*" }],
        });
        // Cleared only once the person exists: a refused add keeps what was typed, to correct.
        if (added) element.reset();
      }}
    >
      <h2>Add a user</h2>
      <label for="new-email">Email</label>
      <input id="new-email" name="email" type="email" required />
      <label for="new-name">Name</label>
      <input id="new-name" name="displayName" required />
      <label for="new-password">Password (leave empty for Google sign-in only)</label>
      <input id="new-password" name="password" type="password" minLength={12} autoComplete="new-password" />
      <label for="new-role">Role</label>
      <select id="new-role" name="role">
        {staffRoles.map((r) => (
          <option key={r} value={r}>
            {staffRoleLabels[r]}
          </option>
        ))}
      </select>
      <label for="new-school">School (OU path, empty for the whole district)</label>
      <input id="new-school" name="school" placeholder="/Schools/Lincoln High" />
      <button type="submit" class="primary" aria-disabled={busy}>
        Add user
      </button>
    </form>
  );
}

/** Replaces a person's role with one role in one school (or the whole district). */
function RoleEditor({
  user,
  busy,
  onSave,
}: {
  user: StaffMember;
  /** A change (this or another) is on its way. */
  busy: boolean;
  onSave: (grants: { role: StaffRole; school: string }[]) => void;
}) {
  const first = user.grants[0];
  return (
    <details class="role-editor">
      <summary>Change role</summary>
      <form
        aria-label={`Change the role of ${user.email}`}
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          const school = String(form.get("school") ?? "").trim() || "*";
          onSave([{ role: String(form.get("role")) as StaffRole, school }]);
        }}
      >
        <label for={`role-${user.id}`}>Role</label>
        {user.grants.length > 1 && (
          <p class="muted">Saving replaces all {user.grants.length} of this person's roles with the one below.</p>
        )}
        {/* The current role marked `selected`: a select has no `defaultValue` property. */}
        <select id={`role-${user.id}`} name="role">
          {staffRoles.map((r) => (
            <option key={r} value={r} selected={r === first?.role}>
              {staffRoleLabels[r]}
            </option>
          ))}
        </select>
        <label for={`school-${user.id}`}>School (empty for the whole district)</label>
        <input id={`school-${user.id}`} name="school" defaultValue={first?.school === "*" ? "" : first?.school} />
        <button type="submit" class="secondary" aria-disabled={busy}>
          Save role
        </button>
      </form>
    </details>
  );
}
