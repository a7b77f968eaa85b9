/** The Audit page's API: entries within the person's schools, filters, CSV, and the chain check. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendAudit } from "../../agent/store/audit";
import { auditEntry } from "../../shared";
import { createTestAgent, lincoln, type TestAgent, washington } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import { type SignedIn, signIn } from "../support/staff";

let agent: TestAgent;
let district: District;
let lead: SignedIn;

beforeEach(async () => {
  agent = await createTestAgent();
  district = await seedDistrict(agent);
  lead = await signIn(agent, district.staffEmail("school_it_lead"));
  const entries = [
    {
      action: "device.disable.requested",
      school: `${lincoln}/Students`,
      serialNumber: "LHS1",
      at: "2026-11-20T21:00:00.000Z",
    },
    {
      action: "device.disable.confirmed",
      school: `${lincoln}/Students`,
      serialNumber: "LHS1",
      at: "2026-11-20T21:00:02.000Z",
    },
    {
      action: "device.mark_missing",
      school: `${washington}/Students`,
      serialNumber: "WMS1",
      at: "2026-11-21T08:00:00.000Z",
    },
    { action: "policy.return_instructions", school: null, serialNumber: null, at: "2026-11-22T09:00:00.000Z" },
    {
      action: "device.found",
      school: `${lincoln}/Loaners`,
      serialNumber: '=HYPERLINK("x")',
      at: "2026-11-23T09:00:00.000Z",
    },
  ];
  await agent.store.db.transaction().execute(async (trx) => {
    for (const e of entries)
      await appendAudit(trx, {
        ...e,
        actorId: null,
        actorName: e.action.startsWith("policy") ? "District Admin" : "Pat Lead",
        deviceId: e.serialNumber ? `dev-${e.serialNumber}` : null,
        reason: 'Because, "quoted"\nand on two lines',
        before: { status: "ACTIVE" },
        after: { status: "DISABLED" },
      });
  });
});
afterEach(() => agent.close());

const entries = async (who: SignedIn, query = "") => {
  const body = (await (await who.request(`/api/audit${query}`)).json()) as { entries: unknown[]; nextBefore?: number };
  return { ...body, entries: body.entries.map((e) => auditEntry.parse(e)) };
};

describe("/api/audit", () => {
  it("shows an IT lead their schools' entries, newest first, and a district admin everything", async () => {
    expect((await entries(lead)).entries.map((e) => e.seq)).toEqual([5, 2, 1]);
    const admin = await signIn(agent, district.districtAdminEmail);
    expect((await entries(admin)).entries.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
    const techTeam = await signIn(agent, district.staffEmail("student_tech_team"));
    expect((await techTeam.request("/api/audit")).status).toBe(403);
  });

  it("filters by action, actor, device and dates, and pages", async () => {
    const admin = await signIn(agent, district.districtAdminEmail);
    expect((await entries(admin, "?action=device.disable")).entries.map((e) => e.seq)).toEqual([2, 1]);
    expect((await entries(admin, "?actor=district")).entries.map((e) => e.seq)).toEqual([4]);
    expect((await entries(admin, "?device=wms1")).entries.map((e) => e.seq)).toEqual([3]);
    expect((await entries(admin, "?from=2026-11-21&to=2026-11-22")).entries.map((e) => e.seq)).toEqual([4, 3]);
    const first = await entries(admin, "?limit=2");
    expect(first.entries.map((e) => e.seq)).toEqual([5, 4]);
    expect((await entries(admin, `?limit=2&before=${first.nextBefore}`)).entries.map((e) => e.seq)).toEqual([3, 2]);
    expect((await admin.request("/api/audit?limit=0")).status).toBe(400);
  });

  it("exports the filtered entries as CSV, quoting what needs it and defusing formulas", async () => {
    const response = await lead.request("/api/audit/export.csv");
    expect(response.headers.get("content-type")).toContain("text/csv");
    expect(response.headers.get("content-disposition")).toMatch(
      /attachment; filename="techdesk-audit-\d{4}-\d{2}-\d{2}\.csv"/,
    );
    const text = await response.text();
    const lines = text.split("\r\n");
    expect(lines[0]).toBe(
      "seq,at,actorName,action,deviceId,serialNumber,school,reason,requestId,before,after,google,hash",
    );
    expect(text).toContain('"Because, ""quoted""\nand on two lines"');
    expect(text).toContain(`"'=HYPERLINK(""x"")"`);
    expect(text).not.toContain("WMS1");
    // Header, three entries (records end in CRLF; a bare LF inside quotes stays in its cell), and the final "".
    expect(lines.length).toBe(1 + 3 + 1);
  });

  it("says whether the chain holds", async () => {
    const response = await lead.request("/api/audit/verify");
    expect(await response.json()).toEqual({ ok: true, entries: 5 });
  });
});
