/**
 * Captures the visible tab behind the popup, only after the student ticks the consent box.
 * `activeTab` (granted by clicking the toolbar button) allows it; Chrome allows 2 captures a second.
 */
import { browser } from "wxt/browser";
import { maxScreenshotChars } from "../../shared";

export async function captureScreenshot(): Promise<string> {
  const dataUrl = await browser.tabs.captureVisibleTab(undefined as unknown as number, { format: "jpeg", quality: 70 });
  if (dataUrl.length > maxScreenshotChars) throw new Error("The screenshot is too large to send.");
  return dataUrl;
}
