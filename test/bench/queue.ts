/**
 * The console's ticket queue with 50,000 tickets: first page, a deep page, filters and searches,
 * each through the real app (session, authorization, SQL) on SQLite, or on PostgreSQL when
 * BENCH_DATABASE_URL is set. Prints the median and worst time of each, then one JSON line.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createApp } from "../../agent/app";
import { loadConfig } from "../../agent/config";
import { createLogger } from "../../agent/log";
import { createStaffUser, signIn } from "../../agent/services/staff-accounts";
import { openStore } from "../../agent/store/db";
import { problemCategories, ticketQueues } from "../../shared";

const ticketCount = Number(process.env.BENCH_TICKETS ?? 50_000);
const runs = 15;
const schools = ["/Schools/Lincoln High", "/Schools/Washington Middle", "/Schools/Jefferson Elementary"];

const dir = mkdtempSync(path.join(tmpdir(), "techdesk-bench-"));
const store = await openStore(
  process.env.BENCH_DATABASE_URL
    ? { databaseUrl: process.env.BENCH_DATABASE_URL }
    : { sqliteFile: path.join(dir, "bench.sqlite") },
);
const config = loadConfig({
  ENROLLMENT_TOKENS: "bench-token-0000000001",
  STAFF_API_TOKEN: "x".repeat(24),
  LOG_LEVEL: "silent",
});
const app = createApp({ db: store.db, config, log: createLogger("silent"), now: () => new Date() });

console.log(`Seeding ${ticketCount.toLocaleString()} tickets on ${store.dialect}…`);
const seedStart = performance.now();
const enrollmentId = randomUUID();
const at = new Date().toISOString();
await store.db
  .insertInto("deviceEnrollments")
  .values({
    id: enrollmentId,
    credentialHash: randomUUID(),
    enrolledAt: at,
    lastSeenAt: at,
    directoryDeviceId: null,
    serialNumber: null,
    assetId: null,
    extensionVersion: null,
    school: schools[0] ?? null,
  })
  .execute();
const batch = 500;
for (let start = 0; start < ticketCount; start += batch) {
  const size = Math.min(batch, ticketCount - start);
  const reportIds = Array.from({ length: size }, () => randomUUID());
  await store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto("reports")
      .values(
        reportIds.map((id, i) => ({
          id,
          enrollmentId,
          idempotencyKey: randomUUID(),
          category: problemCategories[(start + i) % problemCategories.length] as string,
          note: null,
          screenshot: null,
          diagnostics: '{"warnings":[]}',
          clientTime: at,
          receivedAt: at,
        })),
      )
      .execute();
    await trx
      .insertInto("tickets")
      .values(
        reportIds.map((reportId, i) => {
          const n = start + i;
          const created = new Date(Date.now() - (ticketCount - n) * 60_000).toISOString();
          return {
            reportId,
            enrollmentId,
            status: n % 5 === 0 ? "resolved" : "open",
            queue: ticketQueues[n % 3] as string,
            tier: (n % 3) + 1,
            category: problemCategories[n % problemCategories.length] as string,
            note: null,
            serialNumber: `SN${String(n).padStart(8, "0")}`,
            directoryDeviceId: null,
            userEmail: `student${n}@students.example.org`,
            school: schools[n % schools.length] ?? null,
            assetId: `AT-${n}`,
            assigneeId: null,
            createdAt: created,
            updatedAt: created,
          };
        }),
      )
      .execute();
  });
}
console.log(`Seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

await createStaffUser(store.db, {
  email: "lead@bench.example.org",
  displayName: "Lead",
  password: "bench password 1234",
  grants: [{ role: "school_it_lead", school: "/Schools/Lincoln High" }],
});
const { token } = await signIn(store.db, config.sessions, {
  email: "lead@bench.example.org",
  password: "bench password 1234",
});
const headers = { cookie: `techdesk_session=${token}` };

async function get(url: string) {
  const response = await app.request(url, { headers });
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { tickets: { number: number }[]; nextCursor?: string; total: number };
}

// A cursor 20 pages deep, to show keyset paging does not slow down with depth.
let deepCursor = "";
for (let page = 0; page < 20; page++)
  deepCursor = (await get(`/api/tickets?limit=50${deepCursor ? `&cursor=${deepCursor}` : ""}`)).nextCursor ?? "";

const cases: Record<string, string> = {
  firstPage: "/api/tickets?limit=50",
  deepPage: `/api/tickets?limit=50&cursor=${deepCursor}`,
  filtered: "/api/tickets?queue=student_tech_team&status=open&limit=50",
  oldestFirst: "/api/tickets?sort=oldest&limit=50",
  recentlyUpdated: "/api/tickets?sort=updated&limit=50",
  bySerial: `/api/tickets?q=SN${String(ticketCount - 3).padStart(8, "0")}`,
  byStudent: `/api/tickets?q=student${ticketCount - 3}@`,
  byNumber: `/api/tickets?q=%23${ticketCount - 3}`,
};

const figures: Record<string, { medianMs: number; worstMs: number }> = {};
for (const [name, url] of Object.entries(cases)) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await get(url);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  figures[name] = {
    medianMs: Number((times[Math.floor(runs / 2)] ?? 0).toFixed(1)),
    worstMs: Number((times.at(-1) ?? 0).toFixed(1)),
  };
  console.log(`${name.padEnd(16)} median ${figures[name].medianMs} ms, worst ${figures[name].worstMs} ms`);
}
const visible = (await get("/api/tickets?limit=1")).total;
console.log(`The lead sees ${visible.toLocaleString()} of ${ticketCount.toLocaleString()} tickets (their school).`);
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    tickets: ticketCount,
    dialect: store.dialect,
    visible,
    ...Object.fromEntries(Object.entries(figures).map(([k, v]) => [`${k}Ms`, v.medianMs])),
  }),
);
