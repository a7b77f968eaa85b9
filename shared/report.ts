/** The problem report a student sends from the extension. */
import { z } from "zod";
import { diagnosticsSnapshot } from "./diagnostics";

/** The fixed list of problem categories, in the order the popup shows them. */
export const problemCategories = [
  "wont_turn_on",
  "battery_charging",
  "screen",
  "keyboard_trackpad",
  "wifi_internet",
  "sign_in",
  "app_website",
  "slow",
  "broken_damaged",
  "lost_stolen",
  "how_to",
  "other",
] as const;

export const problemCategory = z.enum(problemCategories);
export type ProblemCategory = z.infer<typeof problemCategory>;

/** What a person reads for each category, in the popup and the console. */
export const problemCategoryLabels: Record<ProblemCategory, string> = {
  wont_turn_on: "Won't turn on",
  battery_charging: "Battery & charging",
  screen: "Screen",
  keyboard_trackpad: "Keyboard & trackpad",
  wifi_internet: "Wi-Fi & internet",
  sign_in: "Sign-in",
  app_website: "App or website",
  slow: "Slow",
  broken_damaged: "Broken or damaged",
  lost_stolen: "Lost or stolen",
  how_to: "How do I…?",
  other: "Other",
};

export const maxNoteLength = 2000;
/** A JPEG screenshot of a 1366×768 screen at quality 70 is ~200 KB; allow generous headroom. */
export const maxScreenshotChars = 3 * 1024 * 1024;

export const screenshotDataUrl = z
  .string()
  .max(maxScreenshotChars, "The screenshot is too large.")
  .regex(
    /^data:image\/(png|jpeg|webp);base64,[A-Za-z0-9+/]+={0,2}$/,
    "The screenshot must be a base64 PNG, JPEG or WebP data URL.",
  );

export const idempotencyKey = z.uuid();

export const problemReport = z.object({
  idempotencyKey,
  category: problemCategory,
  note: z.string().trim().max(maxNoteLength).optional(),
  screenshot: screenshotDataUrl.optional(),
  /** The device's clock when the student pressed Send; the agent records its own time too. */
  clientTime: z.iso.datetime({ offset: true }),
  diagnostics: diagnosticsSnapshot,
});

export type ProblemReport = z.infer<typeof problemReport>;
