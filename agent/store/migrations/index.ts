/** Every migration in order. Names sort in the order they run; never rename or edit a landed one. */
import type { Migration, MigrationProvider } from "kysely";
import type { SqlDialect } from "../db";
import { ticketsMigration } from "./0001-tickets";
import { staffMigration } from "./0002-staff";
import { ticketDeskMigration } from "./0003-ticket-desk";
import { inventoryMigration } from "./0004-inventory";
import { jobsMigration } from "./0005-jobs";
import { deviceActionsMigration } from "./0006-device-actions";
import { filterMigration } from "./0007-filter";
import { deviceIndexesMigration } from "./0008-device-indexes";
import { currentAssignmentMigration } from "./0009-current-assignment";
import { runningJobsMigration } from "./0010-running-jobs";
import { oneOpenLoanMigration } from "./0011-one-open-loan";

export function migrationProvider(dialect: SqlDialect): MigrationProvider {
  return {
    getMigrations: async (): Promise<Record<string, Migration>> => ({
      "0001-tickets": ticketsMigration(dialect),
      "0002-staff": staffMigration,
      "0003-ticket-desk": ticketDeskMigration(dialect),
      "0004-inventory": inventoryMigration(dialect),
      "0005-jobs": jobsMigration(dialect),
      "0006-device-actions": deviceActionsMigration(dialect),
      "0007-filter": filterMigration(dialect),
      "0008-device-indexes": deviceIndexesMigration,
      "0009-current-assignment": currentAssignmentMigration,
      "0010-running-jobs": runningJobsMigration,
      "0011-one-open-loan": oneOpenLoanMigration,
    }),
  };
}
