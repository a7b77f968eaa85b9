/** The filter baseline as JSON with its versions; district-wide policy administrators save new ones. */
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { when } from "../format";
import { Alert, useAction } from "./FilterAction";
import { Status } from "./Status";

export function BaselineEditor({ canEdit }: { canEdit: boolean }) {
  const [text, setText] = useState<string>();
  const [info, setInfo] = useState<{
    savedBy: string;
    savedAt?: string;
    versions: { version: number; savedBy: string; savedAt: string }[];
  }>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const { busy: saving, run } = useAction(setError);
  const load = () =>
    api<{
      baseline: unknown;
      savedBy: string;
      savedAt?: string;
      versions: { version: number; savedBy: string; savedAt: string }[];
    }>("/api/filter/baseline")
      .then((answer) => {
        setText(JSON.stringify(answer.baseline, null, 2));
        setInfo(answer);
      })
      .catch((failure: Error) => setError(failure.message));
  useEffect(() => {
    load();
  }, []);
  async function save() {
    setError(undefined);
    setNotice(undefined);
    let body: unknown;
    try {
      body = JSON.parse(text ?? "");
    } catch (failure) {
      setError(`The baseline is not valid JSON: ${(failure as Error).message}`);
      return;
    }
    // One save at a time: each saved request is a new version, so a double click saved two.
    await run(async () => {
      const saved = await api<{ baseline: { version: number } }>("/api/filter/baseline", { method: "POST", body });
      setNotice(`Saved as version ${saved.baseline.version}. The next check uses it.`);
      load();
    });
  }
  return (
    <details class="facts">
      <summary>
        Baseline{info ? ` (saved by ${info.savedBy}${info.savedAt ? `, ${when(info.savedAt)}` : ""})` : ""}
      </summary>
      <p class="muted">
        Expected filter settings per OU subtree (deeper rules win) and the apps each must force-install.
        {canEdit ? "" : " Only district-wide policy administrators can change it."}
      </p>
      <label>
        Baseline (JSON)
        <textarea rows={18} readOnly={!canEdit} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      {canEdit && (
        <button type="button" class="primary" onClick={save} disabled={saving}>
          Save as a new version
        </button>
      )}
      <Status>{notice}</Status>
      <Alert message={error} />
      {info && info.versions.length > 0 && (
        <ul class="muted">
          {info.versions.map((v) => (
            <li key={v.version}>
              Version {v.version}: {v.savedBy}, {when(v.savedAt)}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
