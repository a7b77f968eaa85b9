/** Device enrollments: one row a credential handed out. */
import type { Kysely } from "kysely";
import type { Database, DeviceEnrollment, NewDeviceEnrollment } from "./schema";

export async function insertEnrollment(db: Kysely<Database>, enrollment: NewDeviceEnrollment): Promise<void> {
  await db.insertInto("deviceEnrollments").values(enrollment).execute();
}

export function findEnrollmentByCredentialHash(
  db: Kysely<Database>,
  credentialHash: string,
): Promise<DeviceEnrollment | undefined> {
  return db.selectFrom("deviceEnrollments").selectAll().where("credentialHash", "=", credentialHash).executeTakeFirst();
}

export async function touchEnrollment(db: Kysely<Database>, id: string, at: string): Promise<void> {
  await db.updateTable("deviceEnrollments").set({ lastSeenAt: at }).where("id", "=", id).execute();
}
