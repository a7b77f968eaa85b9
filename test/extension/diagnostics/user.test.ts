import { afterEach, describe, expect, it } from "vitest";
import { runCollector } from "../../../extension/diagnostics/collector";
import user from "../../../extension/diagnostics/user";
import { answers, hangs, restoreChrome, stubChrome, throws } from "../chrome-stubs";

afterEach(restoreChrome);

describe("user collector", () => {
  it("reads the signed-in user's email, asking for any account status", async () => {
    const getProfileUserInfo = answers({ email: "ada@students.example.org", id: "123" });
    stubChrome("identity.getProfileUserInfo", getProfileUserInfo);
    expect(await runCollector(user, 200)).toEqual({ data: { email: "ada@students.example.org" }, warnings: [] });
    expect(getProfileUserInfo).toHaveBeenCalledWith({ accountStatus: "ANY" });
  });

  it('warns on "" (no signed-in user or no identity.email permission)', async () => {
    stubChrome("identity.getProfileUserInfo", answers({ email: "", id: "" }));
    const result = await runCollector(user, 200);
    expect(result.data).toBeUndefined();
    expect(result.warnings).toEqual([expect.stringContaining("no email")]);
  });

  it.each([
    ["missing", undefined],
    ["throwing", throws()],
    ["hanging", hangs()],
  ])("warns when the API is %s", async (_, fn) => {
    stubChrome("identity.getProfileUserInfo", fn);
    const result = await runCollector(user, 180);
    expect(result.data).toBeUndefined();
    expect(result.warnings).toHaveLength(1);
  });
});
