/**
 * The Filter page's two ways of declaring an app at an OU and pushing it to Google: TechDesk for a
 * school, and any app or extension. Both are a dry run, then a push of exactly the request that was
 * dry-run, so the OU the preview describes, the OU the button names and the OU Google gets are one.
 */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api } from "../api";
import { Alert, useAction } from "./FilterAction";
import type { PlannedWrite } from "./FilterDashboard";
import { Status } from "./Status";

interface Plan {
  writes: PlannedWrite[];
  planHash: string;
}
/** A push's answer: a remediation when there were writes to queue. */
type Pushed = Plan & { remediation?: unknown };

interface PushFlow<Request, Answer> {
  reviewed?: { request: Request; plan: Answer };
  error?: string;
  notice?: string;
  busy: boolean;
  dryRun(request: Request): Promise<void>;
  push(): void;
  /** A problem found before anything is sent, such as a configuration that is not JSON. */
  refuse(message: string): void;
}

/**
 * The state of one dry-run-then-push flow against `path`. The reviewed request is kept with its
 * plan: the push sends it again with the plan's hash, whatever the form holds by then.
 */
function usePush<Request extends object, Answer extends Plan>(
  path: string,
  queuedNotice: (request: Request, queued: boolean) => string,
  onQueued: () => void,
): PushFlow<Request, Answer> {
  const [reviewed, setReviewed] = useState<{ request: Request; plan: Answer }>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const { busy, run } = useAction(setError);
  function send(request: Request, planHash?: string) {
    setNotice(undefined);
    // A new dry run replaces the last one: a failed one must not leave the old plan pushable.
    if (!planHash) setReviewed(undefined);
    return run(async () => {
      const answer = await api<Answer & Pushed>(path, { method: "POST", body: { ...request, planHash } });
      if (planHash) {
        setReviewed(undefined);
        setNotice(queuedNotice(request, Boolean(answer.remediation)));
        onQueued();
      } else setReviewed({ request, plan: answer });
    });
  }
  return {
    reviewed,
    error,
    notice,
    busy,
    dryRun: (request) => send(request),
    push() {
      if (reviewed) void send(reviewed.request, reviewed.plan.planHash);
    },
    refuse(message) {
      setNotice(undefined);
      // Refused before it was sent, it is still a new dry run: the old plan must not stay pushable.
      setReviewed(undefined);
      setError(message);
    },
  };
}

/** The reviewed plan with its push button, then the flow's status and error. */
function PushReview<Request extends object, Answer extends Plan>({
  flow,
  describe,
  pushLabel,
}: {
  flow: PushFlow<Request, Answer>;
  describe: (request: Request, plan: Answer) => ComponentChildren;
  pushLabel: (request: Request) => string;
}) {
  const { reviewed } = flow;
  return (
    <>
      {reviewed && (
        <div>
          <p>
            {describe(reviewed.request, reviewed.plan)}{" "}
            {reviewed.plan.writes.length
              ? `Would write: ${reviewed.plan.writes.map((w) => w.label).join(", ")}.`
              : "Google already has it so: nothing to write (it will be declared in the baseline)."}
          </p>
          <button type="button" class="primary" disabled={flow.busy} onClick={flow.push}>
            {pushLabel(reviewed.request)}
          </button>
        </div>
      )}
      <Status>{flow.notice}</Status>
      <Alert message={flow.error} />
    </>
  );
}

const declared = (what: string, ouPath: string, queued: boolean) =>
  queued
    ? `${what} declared at ${ouPath} and queued for Google.`
    : `${what} declared at ${ouPath}: Google already had it.`;

/** Force-installs and pins TechDesk at a school with the managed configuration that school needs. */
export function PushTechdesk({ schools, onQueued }: { schools: string[]; onQueued: () => void }) {
  const [school, setSchool] = useState(schools[0] ?? "");
  const flow = usePush<{ school: string }, Plan & { school: string; agentUrl: string }>(
    "/api/filter/apps/techdesk",
    (request, queued) => declared("TechDesk", request.school, queued),
    onQueued,
  );
  return (
    <section class="facts" aria-labelledby="push-heading">
      <h2 id="push-heading">Push TechDesk to a school</h2>
      <p class="muted">
        Force-installs and pins TechDesk for the school's OU with its managed configuration: this agent's address and
        the school's enrollment token.
      </p>
      <div class="row">
        <label>
          School (OU)
          <input list="filter-schools" value={school} onInput={(e) => setSchool(e.currentTarget.value)} />
        </label>
        <datalist id="filter-schools">
          {schools.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
        <button type="button" class="secondary" disabled={flow.busy || !school} onClick={() => flow.dryRun({ school })}>
          Dry run
        </button>
      </div>
      <PushReview
        flow={flow}
        describe={(request, plan) => (
          <>
            TechDesk at {request.school}, reaching <code>{plan.agentUrl}</code>.
          </>
        )}
        pushLabel={(request) => `Push TechDesk to ${request.school}`}
      />
    </section>
  );
}

interface AppPush {
  ouPath: string;
  app: { appId: string; name: string; installType: string; managedConfiguration?: unknown };
}

/** Declare any app or extension at an OU (install type, managed configuration) and push it. */
export function PushApp({ ous, onQueued }: { ous: string[]; onQueued: () => void }) {
  const [ouPath, setOuPath] = useState(ous[0] ?? "");
  const [appId, setAppId] = useState("");
  const [name, setName] = useState("");
  const [installType, setInstallType] = useState("FORCED_AND_PIN_TO_TOOLBAR");
  const [config, setConfig] = useState("");
  const flow = usePush<AppPush, Plan>(
    "/api/filter/apps",
    (request, queued) => declared(request.app.name, request.ouPath, queued),
    onQueued,
  );
  function dryRun() {
    let managedConfiguration: unknown;
    if (config.trim()) {
      try {
        managedConfiguration = JSON.parse(config);
      } catch (failure) {
        flow.refuse(`The managed configuration is not valid JSON: ${(failure as Error).message}`);
        return;
      }
    }
    const id = appId.trim();
    const app = {
      appId: id.startsWith("chrome:") ? id : `chrome:${id}`,
      name: name.trim(),
      installType,
      managedConfiguration,
    };
    void flow.dryRun({ ouPath, app });
  }
  return (
    <details class="facts">
      <summary>Push an app or extension</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          dryRun();
        }}
      >
        <label>
          OU
          <input list="filter-ous" value={ouPath} onInput={(e) => setOuPath(e.currentTarget.value)} required />
        </label>
        <datalist id="filter-ous">
          {ous.map((o) => (
            <option key={o} value={o} />
          ))}
        </datalist>
        <label>
          Extension id
          <input value={appId} onInput={(e) => setAppId(e.currentTarget.value)} required placeholder="32 letters a–p" />
        </label>
        <label>
          Name
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        </label>
        <label>
          Install
          <select value={installType} onChange={(e) => setInstallType(e.currentTarget.value)}>
            <option value="FORCED_AND_PIN_TO_TOOLBAR">Force install and pin to the toolbar</option>
            <option value="FORCED">Force install</option>
          </select>
        </label>
        <label>
          Managed configuration (JSON, optional)
          <textarea rows={4} value={config} onInput={(e) => setConfig(e.currentTarget.value)} />
        </label>
        <button type="submit" class="secondary" disabled={flow.busy}>
          Dry run
        </button>
      </form>
      <PushReview
        flow={flow}
        describe={(request) => `${request.app.name} at ${request.ouPath}.`}
        pushLabel={(request) => `Push to ${request.ouPath}`}
      />
    </details>
  );
}
