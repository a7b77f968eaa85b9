/** The console's bell as a person sees it, and a crowd of another school's notifications to find theirs behind. */
import type { Kysely } from "kysely";
import type { Database } from "../../agent/store/schema";
import { washington } from "./agent";
import type { SignedIn } from "./staff";

export type Bell = { unread: number; notifications: { id: number; title: string; read: boolean }[] };

export const bell = async (who: SignedIn) => (await (await who.request("/api/notifications")).json()) as Bell;

/** Writes `count` unread Washington notifications ("Washington 0", "Washington 1"…), all made at `at`. */
export async function notifyWashingtonCrowd(db: Kysely<Database>, count: number, at: string): Promise<void> {
  await db
    .insertInto("notifications")
    .values(
      Array.from({ length: count }, (_, i) => ({
        permission: "device.disable",
        school: washington,
        title: `Washington ${i}`,
        body: "b",
        link: null,
        createdAt: at,
      })),
    )
    .execute();
}
