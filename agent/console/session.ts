/** Who is signed in, as the agent reports it. */
import type { Permission, RoleGrant } from "../../shared";

export interface Session {
  user: { id: string; email: string; displayName: string };
  grants: RoleGrant[];
  permissions: Permission[];
}
