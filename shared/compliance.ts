/**
 * What a device's TechDesk extension reports about its own compliance, for the filter audit's
 * device side: whether the extensions policy requires are present and enabled (only visible when
 * the district grants the optional `management` permission) and how the browser's proxy is set.
 */
import { z } from "zod";

/** `chrome.proxy` modes, as `proxy.settings.get` answers them. */
export const proxyModes = ["direct", "auto_detect", "pac_script", "fixed_servers", "system"] as const;
export type ProxyMode = (typeof proxyModes)[number];

export const seenExtension = z.object({
  id: z.string().regex(/^[a-p]{32}$/, "an extension id is 32 letters a-p"),
  name: z.string().max(200),
  enabled: z.boolean(),
  /** admin (force-installed by policy), normal, development, sideload, other. */
  installType: z.string().max(40).optional(),
});
export type SeenExtension = z.infer<typeof seenExtension>;

export const complianceReport = z.object({
  collectedAt: z.iso.datetime({ offset: true }),
  /** Whether the district granted `management`; without it the extension list is empty. */
  managementGranted: z.boolean(),
  extensions: z.array(seenExtension).max(500).default([]),
  proxy: z
    .object({
      mode: z.enum(proxyModes),
      /** Who sets it: `controlled_by_other_extensions` means some extension took over the proxy. */
      levelOfControl: z.string().max(60).optional(),
    })
    .optional(),
  warnings: z.array(z.string().max(300)).max(20).default([]),
});
export type ComplianceReport = z.infer<typeof complianceReport>;

export const complianceReceipt = z.object({ recorded: z.literal(true) });
export type ComplianceReceipt = z.infer<typeof complianceReceipt>;

/** A device whose own report disagrees with the policy its OU should have. */
export const deviceDisagreement = z.object({
  deviceId: z.string(),
  serialNumber: z.string().optional(),
  orgUnitPath: z.string().optional(),
  reportedAt: z.string(),
  problems: z.array(z.string()),
});
export type DeviceDisagreement = z.infer<typeof deviceDisagreement>;
