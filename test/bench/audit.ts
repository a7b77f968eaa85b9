/**
 * The filter audit at district scale: 500 OUs against the sandbox at Google's read quota (10
 * `policies:resolve` calls a second per user) with 80 ms of latency. The quota bounds it: the
 * fastest possible audit makes the fewest calls the baseline needs (one per namespace per OU, one
 * page each) at 10 a second. Prints the time against that minimum; the last line is one JSON object
 * (`ous`, `seconds`, `minimumSeconds`, `ratio`, `apiCalls`). Target: ratio ≤ 1.2.
 */
import { auditOus, filtersFor, orgUnitsOf } from "../../agent/filter/audit";
import { expectationsFor } from "../../agent/filter/baseline";
import { createGoogleClient } from "../../agent/google/client";
import { directoryAdapter } from "../../agent/google/directory";
import { policyAdapter } from "../../agent/google/policy";
import { defaultPolicyReadsPerSecond } from "../../agent/sandbox/policy";
import { seedDistrict } from "../../agent/sandbox/seed";
import { startSandbox } from "../../agent/sandbox/server";
import { shippedBaseline } from "../../agent/services/filter-checks";

const wantedOus = Number(process.env.BENCH_OUS ?? 500);
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 80);

// Each school brings four OUs (itself, Students, Staff, Loaners) under / and /Schools.
const schools = Math.floor((wantedOus - 2) / 4);
const district = seedDistrict({
  devices: 1000,
  schools: Array.from({ length: schools }, (_, i) => `School ${String(i + 1).padStart(3, "0")}`),
});
for (let i = district.orgUnits.length; i < wantedOus; i++)
  district.orgUnits.push({
    kind: "admin#directory#orgUnit",
    orgUnitId: `id:office${i}`,
    orgUnitPath: `/District Office ${i}`,
    name: `District Office ${i}`,
    parentOrgUnitPath: "/",
  });
const sandbox = await startSandbox({ district, behaviour: { latencyMs } });
console.log(
  `Sandbox: ${district.orgUnits.length} OUs, ${latencyMs} ms latency, ${defaultPolicyReadsPerSecond} policy reads a second.`,
);

const google = createGoogleClient({ rootUrl: sandbox.url });
const baseline = shippedBaseline();
const units = await orgUnitsOf(directoryAdapter(google));
// The fewest reads the baseline needs: one resolve per namespace per OU (each fits one page).
const minimumCalls = units.reduce((sum, unit) => sum + filtersFor(expectationsFor(baseline, unit.path)).length, 0);
const minimumSeconds = minimumCalls / defaultPolicyReadsPerSecond;
const callsBefore = google.calls;
const refusedBefore = sandbox.context.quotaRefusals.reads;

let lastShown = 0;
const started = performance.now();
const audited = await auditOus(policyAdapter(google), units, baseline, {
  onOu(done, total) {
    if (done - lastShown < total / 10 && done !== total) return;
    lastShown = done;
    const seconds = (performance.now() - started) / 1000;
    console.log(`  ${done}/${total} OUs in ${seconds.toFixed(1)} s`);
  },
});
const seconds = (performance.now() - started) / 1000;
const apiCalls = google.calls - callsBefore;
const drift = audited.filter((ou) => ou.checks.some((c) => c.status === "drift")).length;
console.log(
  `Audit: ${audited.length} OUs in ${seconds.toFixed(2)} s, ${apiCalls} policy reads (minimum ${minimumCalls}, ${minimumSeconds.toFixed(1)} s at the quota); ${sandbox.context.quotaRefusals.reads - refusedBefore} refused by the quota; ${drift} OU(s) drifted.`,
);
await sandbox.close();
console.log(
  JSON.stringify({
    ous: audited.length,
    seconds: Number(seconds.toFixed(2)),
    minimumSeconds: Number(minimumSeconds.toFixed(2)),
    ratio: Number((seconds / minimumSeconds).toFixed(3)),
    apiCalls,
  }),
);
