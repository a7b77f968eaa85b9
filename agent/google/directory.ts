/** Directory API adapter: ChromeOS devices and org units, typed with `googleapis`' own types. */
import type { admin_directory_v1 } from "googleapis/build/src/apis/admin/index.js";
import { type GoogleClient, noGaxiosRetry } from "./client";

export type ChromeOsDevice = admin_directory_v1.Schema$ChromeOsDevice;
export type OrgUnit = admin_directory_v1.Schema$OrgUnit;
export type StatusAction = "DISABLE" | "REENABLE" | "DEPROVISION";
export type StatusResult = admin_directory_v1.Schema$ChangeChromeOsDeviceStatusResult;

/** Google's limits: 300 devices a page, 50 ids a batch. */
export const devicesPerPage = 300;
export const idsPerBatch = 50;
/** A call someone waits on: this many tries, each given this long. */
export const quickCallTries = 3;
export const quickCallTimeoutMs = 20_000;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

export interface DevicePageQuery {
  orgUnitPath?: string;
  includeChildOrgunits?: boolean;
  query?: string;
  pageToken?: string;
  maxResults?: number;
  projection?: "BASIC" | "FULL";
  fields?: string;
}

export function directoryAdapter(google: GoogleClient) {
  const customerId = google.customerId;
  const devices = google.directory.chromeosdevices;

  return {
    listDevicesPage: async function listDevicesPage(query: DevicePageQuery) {
      const data = await google.call("directory", "devices.list", () =>
        devices.list({ customerId, maxResults: devicesPerPage, projection: "FULL", ...query }, noGaxiosRetry),
      );
      return { devices: data.chromeosdevices ?? [], nextPageToken: data.nextPageToken ?? undefined };
    },

    /** One device, FULL; `fields` keeps only the fields named (Google's partial response). */
    getDevice: function getDevice(deviceId: string, fields?: string) {
      return google.call("directory", "devices.get", () =>
        devices.get({ customerId, deviceId, projection: "FULL", ...(fields && { fields }) }, noGaxiosRetry),
      );
    },

    patchDevice: function patchDevice(
      deviceId: string,
      change: Pick<
        ChromeOsDevice,
        "annotatedUser" | "annotatedLocation" | "annotatedAssetId" | "notes" | "orgUnitPath"
      >,
    ) {
      return google.call("directory", "devices.patch", () =>
        devices.patch({ customerId, deviceId, requestBody: change }, noGaxiosRetry),
      );
    },

    /**
     * Every OU. `quick` is for someone waiting on the answer (the connection check): three tries,
     * each given 20 s, rather than the sync's patient retries of several minutes.
     */
    listOrgUnits: async function listOrgUnits(options: { quick?: boolean } = {}): Promise<OrgUnit[]> {
      const data = await google.call(
        "directory",
        "orgunits.list",
        () =>
          google.directory.orgunits.list(
            { customerId, type: "all" },
            options.quick ? { ...noGaxiosRetry, timeout: quickCallTimeoutMs } : noGaxiosRetry,
          ),
        options.quick ? { maxTries: quickCallTries } : {},
      );
      return data.organizationUnits ?? [];
    },

    /** Serial queries match partially from three characters: only exact matches are answered. */
    findBySerial: async function findBySerial(serialNumber: string): Promise<ChromeOsDevice[]> {
      const data = await google.call("directory", "devices.list", () =>
        devices.list({ customerId, query: `id:${serialNumber}`, maxResults: devicesPerPage }, noGaxiosRetry),
      );
      return (data.chromeosdevices ?? []).filter((d) => d.serialNumber?.toUpperCase() === serialNumber.toUpperCase());
    },

    /** Disable, re-enable or deprovision, 50 ids a call; one result per device, failures included. */
    changeStatus: async function changeStatus(
      deviceIds: string[],
      action: StatusAction,
      deprovisionReason?: string,
    ): Promise<StatusResult[]> {
      const results: StatusResult[] = [];
      for (const ids of chunk(deviceIds, idsPerBatch)) {
        const data = await google.call("directory", "devices.batchChangeStatus", () =>
          google.directory.customer.devices.chromeos.batchChangeStatus(
            {
              customerId,
              requestBody: {
                deviceIds: ids,
                changeChromeOsDeviceStatusAction: `CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_${action}`,
                deprovisionReason,
              },
            },
            noGaxiosRetry,
          ),
        );
        results.push(...(data.changeChromeOsDeviceStatusResults ?? []));
      }
      return results;
    },

    moveDevicesToOu: async function moveDevicesToOu(deviceIds: string[], orgUnitPath: string): Promise<void> {
      for (const ids of chunk(deviceIds, idsPerBatch)) {
        await google.call("directory", "devices.moveDevicesToOu", () =>
          devices.moveDevicesToOu({ customerId, orgUnitPath, requestBody: { deviceIds: ids } }, noGaxiosRetry),
        );
      }
    },

    /** Not idempotent: `dedupeKey` (our action's id) keeps a retried request from issuing it twice. */
    issueCommand: async function issueCommand(
      deviceId: string,
      commandType: string,
      dedupeKey: string,
      payload?: string,
    ): Promise<string> {
      const data = await google.call(
        "directory",
        "devices.issueCommand",
        () =>
          google.directory.customer.devices.chromeos.issueCommand(
            { customerId, deviceId, requestBody: { commandType, payload } },
            noGaxiosRetry,
          ),
        { idempotent: false, dedupeKey },
      );
      return data.commandId as string;
    },

    getCommand: function getCommand(deviceId: string, commandId: string) {
      return google.call("directory", "devices.commands.get", () =>
        google.directory.customer.devices.chromeos.commands.get({ customerId, deviceId, commandId }, noGaxiosRetry),
      );
    },
  };
}

export type DirectoryAdapter = ReturnType<typeof directoryAdapter>;
