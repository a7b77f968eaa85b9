/** Time zone and language: a wrong time zone is a common cause of sign-in and certificate errors. */
import { browser } from "wxt/browser";
import { compact, defineCollector } from "./collector";

export default defineCollector("locale", async () =>
  compact({
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    locale: globalThis.navigator?.language,
    uiLanguage: browser.i18n?.getUILanguage?.(),
  }),
);
