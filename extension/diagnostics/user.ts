/** The signed-in user's email (needs the `identity.email` permission; "" when not signed in). */
import type { Browser } from "@wxt-dev/browser";
import { chromeApi } from "../chrome-api";
import { callApi, compact, defineCollector } from "./collector";

export default defineCollector("user", async (warn) => {
  const identity = chromeApi()?.identity;
  const info = await callApi(
    "identity.getProfileUserInfo",
    identity?.getProfileUserInfo &&
      (() =>
        identity.getProfileUserInfo({
          accountStatus: "ANY",
        } as Browser.identity.ProfileDetails)),
    warn,
  );
  if (info && !info.email)
    warn("identity.getProfileUserInfo answered no email (no signed-in user, or the permission is missing).");
  return info && compact({ email: info.email });
});
