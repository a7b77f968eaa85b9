/** The persisted outbox: a versioned `storage.local` item, so its shape can change with a migration. */
import { storage } from "wxt/utils/storage";
import { emptyOutbox, type OutboxState } from "./outbox";

export const outboxItem = storage.defineItem<OutboxState>("local:outbox", {
  fallback: emptyOutbox(),
  version: 1,
});
