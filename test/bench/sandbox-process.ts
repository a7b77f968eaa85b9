/**
 * The Google sandbox in its own process for benchmarks, so the agent's memory is measured alone.
 * Prints `{"url": …}` when listening; on stdin, `change N` marks N devices changed (new user, synced now),
 * `calls` and `cpu` answer the calls served and the CPU time used so far.
 */
import { createInterface } from "node:readline";
import { seedDistrict } from "../../agent/sandbox/seed";
import { startSandbox } from "../../agent/sandbox/server";

const [devices = "100000", schools = "50", latency = "80", qpm = "2400"] = process.argv.slice(2);
const names = Array.from({ length: Number(schools) }, (_, i) => `School ${String(i + 1).padStart(3, "0")}`);
const district = seedDistrict({ seed: 99, devices: Number(devices), schools: names, syncedDaysAgo: [3, 30] });
const sandbox = await startSandbox({
  district,
  behaviour: { latencyMs: Number(latency), queriesPerMinute: Number(qpm) },
});
console.log(JSON.stringify({ url: sandbox.url, orgUnits: district.orgUnits.length, devices: district.devices.size }));

createInterface({ input: process.stdin }).on("line", (line) => {
  const [command, count] = line.trim().split(/\s+/);
  if (command === "change") {
    const all = [...district.devices.values()];
    const step = Math.max(1, Math.floor(all.length / Number(count)));
    let changed = 0;
    for (let i = 0; i < all.length && changed < Number(count); i += step, changed++) {
      const device = all[i];
      if (!device) continue;
      device.annotatedUser = `moved.student${i}@students.demo-district.example.org`;
      device.lastSync = new Date().toISOString();
    }
    console.log(JSON.stringify({ changed }));
  }
  if (command === "calls") console.log(JSON.stringify({ calls: sandbox.context.faults.calls }));
  if (command === "cpu") {
    const used = process.cpuUsage();
    console.log(JSON.stringify({ cpuMs: Math.round((used.user + used.system) / 1000) }));
  }
  if (command === "exit") void sandbox.close().then(() => process.exit(0));
});
