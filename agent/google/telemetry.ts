/** Chrome Management telemetry adapter: battery health and disk use, which an extension cannot read. */
import type { chromemanagement_v1 } from "googleapis/build/src/apis/chromemanagement/index.js";
import { type GoogleClient, noGaxiosRetry } from "./client";

export type TelemetryDevice = chromemanagement_v1.Schema$GoogleChromeManagementV1TelemetryDevice;

/** Google's limit: 1,000 telemetry devices a page. */
export const telemetryPerPage = 1000;

export function telemetryAdapter(google: GoogleClient) {
  const parent = `customers/${google.customerId}`;
  return {
    listPage: async function listPage(pageToken?: string, filter?: string) {
      const data = await google.call("telemetry", "telemetry.devices.list", () =>
        google.telemetry.customers.telemetry.devices.list(
          { parent, pageSize: telemetryPerPage, pageToken, filter, readMask: "battery_status_report,storage_info" },
          noGaxiosRetry,
        ),
      );
      return { devices: data.devices ?? [], nextPageToken: data.nextPageToken ?? undefined };
    },
  };
}

export type TelemetryAdapter = ReturnType<typeof telemetryAdapter>;
