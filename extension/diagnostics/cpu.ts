/** CPU model, core count and load over a short sample (two readings 50 ms apart). */
import type { Browser } from "@wxt-dev/browser";
import { chromeApi } from "../chrome-api";
import { callApi, compact, defineCollector } from "./collector";

const sampleGapMs = 50;

function busyShare(before: Browser.system.cpu.CpuInfo, after: Browser.system.cpu.CpuInfo): number | undefined {
  let busy = 0;
  let total = 0;
  after.processors.forEach((p, i) => {
    const q = before.processors[i];
    if (!q) return;
    busy += p.usage.user - q.usage.user + (p.usage.kernel - q.usage.kernel);
    total += p.usage.total - q.usage.total;
  });
  return total > 0 ? Math.min(1, Math.max(0, busy / total)) : undefined;
}

export default defineCollector("cpu", async (warn) => {
  const cpu = chromeApi()?.system?.cpu;
  const getInfo = cpu?.getInfo && (() => cpu.getInfo());
  const first = await callApi("system.cpu.getInfo", getInfo, warn);
  if (!first) return undefined;
  await new Promise((resolve) => setTimeout(resolve, sampleGapMs));
  const second = await callApi("system.cpu.getInfo (second sample)", getInfo, warn);
  return compact({
    modelName: first.modelName,
    archName: first.archName,
    cores: first.numOfProcessors,
    load: second ? busyShare(first, second) : undefined,
  });
});
