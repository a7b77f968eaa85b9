/**
 * A Chromebook is lent to one student at a time, and the database now says so: a unique index over
 * open loans. Two IT leads lending the same device at once both passed the "already lent?" check
 * under READ COMMITTED and both inserted; now the second insert fails and is answered with a 409.
 *
 * A database that already lent a device twice keeps every loan: the newest open one stays open, each
 * older one is closed at the moment the device was lent again, and the audit log says what happened
 * (as a return by TechDesk, so the device's history reads the way the loaner list now does).
 */
import { type Kysely, sql } from "kysely";
import { appendAudit } from "../audit";
import type { Database } from "../schema";

export const oneOpenLoanMigration = {
  async up(db: Kysely<unknown>) {
    // The migrator's connection carries the store's camel-case plugin, as every other query does.
    const store = db as Kysely<Database>;
    const open = await store
      .selectFrom("loans")
      .leftJoin("devices", "devices.deviceId", "loans.deviceId")
      .select(["loans.id", "loans.deviceId", "loans.userEmail", "loans.lentAt", "loans.dueAt"])
      .select(["devices.serialNumber", "devices.orgUnitPath"])
      .where("loans.returnedAt", "is", null)
      .orderBy("loans.id", "desc")
      .execute();
    const kept = new Map<string, (typeof open)[number]>();
    const at = new Date().toISOString();
    for (const loan of open) {
      const newest = kept.get(loan.deviceId);
      if (!newest) {
        kept.set(loan.deviceId, loan);
        continue;
      }
      await store.updateTable("loans").set({ returnedAt: newest.lentAt }).where("id", "=", loan.id).execute();
      await appendAudit(store, {
        at,
        actorId: null,
        actorName: "TechDesk upgrade",
        action: "device.loan_returned",
        deviceId: loan.deviceId,
        serialNumber: loan.serialNumber,
        school: loan.orgUnitPath,
        reason: `Closed when TechDesk was upgraded: this device was lent to ${loan.userEmail} and to ${newest.userEmail} at the same time, and only the loan to ${newest.userEmail} stays open. Check who has the device.`,
        before: { userEmail: loan.userEmail, dueAt: loan.dueAt },
        after: { loan: null, returnedAt: newest.lentAt, stillLentTo: newest.userEmail },
      });
    }
    await sql`create unique index loans_one_open on loans (device_id) where returned_at is null`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex("loans_one_open").execute();
  },
};
