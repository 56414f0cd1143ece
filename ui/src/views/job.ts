// The job status page: details, live validation / import progress from the event stream, results, approval.

import { api, ApiError, apiPaths, type Catalog, type Job, type Preview, raw, streamEvents } from "../api";
import { confirmModal, estimate, facts, h, hms, num, replace, statusBadge, toast, when } from "../dom";
import { focusHeading, paths, type RouteContext } from "../nav";
import { problemBox } from "../problems";
import { configSummary } from "./summary";

const RUNNING = new Set(["VALIDATING", "IMPORTING"]);

function elapsedSince(iso: string | null | undefined): number | null {
  return iso ? (Date.now() - new Date(iso).getTime()) / 1000 : null;
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? "" : Array.isArray(v) ? v.join("; ") : String(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function safeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "") || "job";
}

/** The invalid (or failed) records as CSV: the API's CSV endpoint when it has one, else built from report pages. */
async function downloadRecords(org: number, job: Job, phase: "validate" | "ingest"): Promise<void> {
  const status = phase === "validate" ? "INVALID" : "FAILED";
  const filename = `${safeName(job.name)}_${phase === "validate" ? "invalid" : "failed"}_records.csv`;
  const csvPath = phase === "validate" ? "/v1/orgs/{org_id}/jobs/{job_id}/invalid-records.csv" : "/v1/orgs/{org_id}/jobs/{job_id}/failed-records.csv";
  if ((await apiPaths()).has(csvPath)) {
    const res = await raw("GET", `${api.jobPath(org, job.id)}/${csvPath.split("/").pop()}`, undefined, { headers: { Accept: "text/csv" } });
    const given = /filename="?([^";]+)"?/.exec(res.headers.get("Content-Disposition") ?? "")?.[1];
    saveBlob(await res.blob(), given || filename);
    return;
  }
  const rows: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const page = await api.records(org, job.id, phase, status, cursor);
    rows.push(...page.items);
    cursor = page.next;
  } while (cursor);
  const columns: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  if (!columns.length) columns.push("_row_id", "_status", "_error_message");
  const lines = [columns.map(csvCell).join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))];
  saveBlob(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" }), filename);
}

function reportName(org: number, table: string | null | undefined, link?: string | null): HTMLElement | string {
  if (!table) return "—";
  const name = h("code", null, `import_${org}.${table}`);
  return link ? h("span", null, name, " ", h("a", { href: link, target: "_blank", rel: "noopener" }, "Details")) : name;
}

export function jobView(ctx: RouteContext, root: HTMLElement) {
  const org = ctx.org;
  const id = ctx.params.id;
  let job: Job | null = null;
  let stopped = false;
  let stream: AbortController | null = null;
  let ticker = 0;
  const errorCache = new Map<string, Promise<{ items: { message: string; count: number }[] }>>();
  let summaryData: Promise<[Preview | null, Catalog | null]> | null = null;

  const headBox = h("div", { class: "job-head" });
  const statusPanel = h("div", { id: "panel-status", role: "tabpanel", "aria-labelledby": "tab-status", tabindex: "0" });
  const configPanel = h("div", { id: "panel-config", role: "tabpanel", "aria-labelledby": "tab-config", tabindex: "0", hidden: true });
  const tabStatus = h("button", { type: "button", role: "tab", id: "tab-status", "aria-controls": "panel-status", "aria-selected": "true" }, "Job status");
  const tabConfig = h("button", { type: "button", role: "tab", id: "tab-config", "aria-controls": "panel-config", "aria-selected": "false", tabindex: "-1" }, "Configuration summary");
  const tabs = [tabStatus, tabConfig];
  const select = (tab: HTMLButtonElement) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")!)!.hidden = !on;
    }
    if (tab === tabConfig) renderConfig();
  };
  for (const t of tabs) {
    t.addEventListener("click", () => select(t));
    t.addEventListener("keydown", (e: KeyboardEvent) => {
      const i = tabs.indexOf(t);
      const next = e.key === "ArrowRight" ? tabs[(i + 1) % tabs.length] : e.key === "ArrowLeft" ? tabs[(i + tabs.length - 1) % tabs.length] : e.key === "Home" ? tabs[0] : e.key === "End" ? tabs[tabs.length - 1] : null;
      if (next) {
        e.preventDefault();
        select(next);
        next.focus();
      }
    });
  }
  const actionSlot = h("div", { class: "problem-slot", id: "action-problem" });
  replace(
    root,
    h("p", { class: "crumbs" }, h("a", { href: paths.imports(org) }, "Imports"), " / Job status"),
    headBox,
    h("div", { role: "tablist", class: "tabs", "aria-label": "Job" }, tabs),
    statusPanel,
    configPanel,
  );

  function renderHead(j: Job): void {
    replace(
      headBox,
      h("h1", { id: "job-name" }, j.name),
      facts([
        ["Status", statusBadge(j.status)],
        ["Job ID", h("code", { id: "job-id" }, j.id)],
        ["Description", j.description || h("span", { class: "muted" }, "No description")],
        ["Created", `${when(j.created_at)} by ${j.created_by}`],
      ]),
    );
  }

  function renderConfig(): void {
    if (!job || configPanel.hidden) return;
    const j = job;
    summaryData ??= Promise.all([
      j.source?.table ? api.preview(org, j.source.table).catch(() => null) : Promise.resolve(null),
      api.catalog(org).catch(() => null),
    ]);
    summaryData.then(([p, cat]) => {
      if (stopped) return;
      replace(
        configPanel,
        configSummary(org, { table: j.source?.table ?? null, method: j.method, unique_id: j.unique_id, mapping: j.mapping ?? [] }, p, cat),
      );
    });
  }

  function errorTable(phase: "validate" | "ingest", j: Job): HTMLElement {
    const box = h("div", { class: "errors", "aria-live": "polite" }, h("p", { class: "muted" }, "Loading the error summary…"));
    const key = `${phase}:${j.status}`;
    if (!errorCache.has(key)) errorCache.set(key, api.errors(org, j.id, phase));
    errorCache.get(key)!.then(
      ({ items }) => {
        if (!items.length) {
          replace(box, h("p", { class: "muted" }, phase === "validate" ? "No errors: every record is valid." : "No record failed."));
          return;
        }
        replace(
          box,
          h(
            "table",
            { class: "table error-table", id: `${phase}-errors` },
            h("caption", { class: "sr-only" }, phase === "validate" ? "Validation errors by message" : "Import errors by message"),
            h("thead", null, h("tr", null, h("th", { scope: "col" }, "Error message"), h("th", { scope: "col", class: "num" }, "Records"))),
            h("tbody", null, items.map((i) => h("tr", null, h("td", null, i.message), h("td", { class: "num" }, num(i.count))))),
          ),
        );
      },
      (err) => replace(box, problemBox(err, "The error summary could not be loaded.")),
    );
    return box;
  }

  function downloadButton(j: Job, phase: "validate" | "ingest", label: string): HTMLElement {
    const slot = h("div", { class: "problem-slot" });
    const btn = h(
      "button",
      {
        type: "button",
        class: "btn",
        id: `download-${phase}`,
        onclick: async () => {
          btn.disabled = true;
          replace(slot);
          try {
            await downloadRecords(org, j, phase);
          } catch (err) {
            replace(slot, problemBox(err, "The download failed."));
          } finally {
            btn.disabled = false;
          }
        },
      },
      label,
    );
    return h("div", null, btn, slot);
  }

  function act(kind: "approve" | "reject"): void {
    if (!job) return;
    const j = job;
    const approve = kind === "approve";
    confirmModal(
      approve ? "Approve and run the job?" : "Reject the job?",
      approve
        ? `${num(j.validation.valid)} valid records will be written to the customer database. Invalid records are never written.`
        : "The job is cancelled and nothing is written to the customer database.",
      approve ? "Yes, approve and run" : "Yes, reject",
      async () => {
        replace(actionSlot);
        try {
          const updated = approve ? await api.approve(org, j.id) : await api.reject(org, j.id);
          toast(approve ? "Job approved: the import is starting" : "Job rejected");
          update(updated);
          follow();
        } catch (err) {
          replace(actionSlot, problemBox(err, approve ? "The job was not approved." : "The job was not rejected."));
          void api.getJob(org, j.id).then(update, () => {});
        }
      },
      !approve,
    );
  }

  function renderStatus(j: Job): void {
    const v = j.validation;
    const i = j.ingest;
    const validating = j.status === "VALIDATING";
    const validated = v.valid !== null && v.valid !== undefined;
    const importing = j.status === "IMPORTING";
    const imported = j.status === "COMPLETED" || j.status === "COMPLETED_PARTIAL" || (j.status === "FAILED" && !!i.started_at);
    const parts: (HTMLElement | null)[] = [];

    if (j.status === "DRAFT") {
      parts.push(
        h(
          "section",
          { class: "card" },
          h("h2", null, "Draft"),
          h("p", null, "This job has not been submitted for validation yet."),
          h("a", { class: "btn btn-primary", href: paths.edit(org, j.id) }, "Continue editing"),
        ),
      );
    }

    if (v.started_at || validating) {
      parts.push(
        h(
          "section",
          { class: "card", "aria-labelledby": "validation-title", id: "validation" },
          h("h2", { id: "validation-title" }, "Data validation"),
          facts([
            ["Started by", v.started_by ?? "—"],
            ["Started at", when(v.started_at)],
          ]),
          validating
            ? h(
                "div",
                { class: "progress-block", id: "validation-progress" },
                h("p", { class: "progress-title" }, "Data validation in progress..."),
                h("progress", { max: String(v.records_total || 1), value: String(v.records_validated || 0), "aria-label": "Records validated" }),
                facts([
                  ["Records validated", `${num(v.records_validated)}${v.records_total ? ` of ${num(v.records_total)}` : ""}`],
                  ["Estimated time for validation", estimate(v.estimated_seconds_remaining), "fact-estimate"],
                  ["Time elapsed", h("span", { class: "elapsed", id: "validation-elapsed", "data-since": v.started_at ?? "" }, hms(elapsedSince(v.started_at)))],
                ]),
                j.stalled ? h("p", { class: "warn" }, "No progress for a while: the job may be stalled. Check the services (make status).") : null,
              )
            : null,
          j.status === "VALIDATION_FAILED"
            ? h("div", { class: "problem", role: "alert" }, h("p", null, h("strong", null, "Validation failed. "), j.failure_reason ?? "A system error stopped the validation."))
            : null,
          validated
            ? h(
                "div",
                { class: "results", id: "validation-results" },
                h(
                  "div",
                  { class: "stats" },
                  stat("Duration", hms(v.duration_seconds), "validation-duration"),
                  stat("Records validated", num(v.records_validated), "records-validated"),
                  stat("Valid records", num(v.valid), "valid-records", "good"),
                  stat("Invalid records", num(v.invalid), "invalid-records", v.invalid ? "bad" : ""),
                ),
                h("h3", null, "Error summary"),
                errorTable("validate", j),
                v.invalid ? downloadButton(j, "validate", "Download invalid records (CSV)") : null,
                facts([["Validation report table", reportName(org, v.report_table, v.report_link), "fact-wide"]]),
              )
            : null,
        ),
      );
    }

    if (j.status === "AWAITING_APPROVAL") {
      parts.push(
        h(
          "section",
          { class: "card", "aria-labelledby": "approval-title", id: "approval" },
          h("h2", { id: "approval-title" }, "Approval"),
          h(
            "p",
            null,
            v.invalid
              ? `Approving imports the ${num(v.valid)} valid records; the ${num(v.invalid)} invalid records are skipped. If the results are not acceptable, reject the job, fix the source table and create a new import job.`
              : `Every record is valid. Approving imports all ${num(v.valid)} records.`,
          ),
          actionSlot,
          h(
            "div",
            { class: "actions" },
            h("button", { type: "button", class: "btn btn-danger", id: "reject", onclick: () => act("reject") }, "Reject"),
            h("button", { type: "button", class: "btn btn-primary", id: "approve", onclick: () => act("approve") }, "Approve and run job"),
          ),
        ),
      );
    }

    if (j.status === "REJECTED") {
      parts.push(h("section", { class: "card" }, h("h2", null, "Rejected"), h("p", null, `Rejected${j.rejected_by ? ` by ${j.rejected_by}` : ""}. Nothing was written to the customer database.`)));
    }

    if (importing || imported || i.started_at) {
      const partial = j.status === "COMPLETED_PARTIAL" || (imported && (i.failed ?? 0) > 0);
      parts.push(
        h(
          "section",
          { class: "card", "aria-labelledby": "import-title", id: "import" },
          h("h2", { id: "import-title" }, "Data import"),
          facts([
            ["Approved by", i.approved_by ?? "—"],
            ["Started at", when(i.started_at)],
          ]),
          importing
            ? h(
                "div",
                { class: "progress-block", id: "import-progress" },
                h("p", { class: "progress-title" }, "Import in progress..."),
                h("progress", { max: String(i.records_total || v.valid || 1), value: String(i.records_processed || 0), "aria-label": "Records processed" }),
                facts([
                  ["Records processed", `${num(i.records_processed)}${i.records_total ?? v.valid ? ` of ${num(i.records_total ?? v.valid)}` : ""}`],
                  ["Estimated time", estimate(i.estimated_seconds_remaining)],
                  ["Time elapsed", h("span", { class: "elapsed", id: "import-elapsed", "data-since": i.started_at ?? "" }, hms(elapsedSince(i.started_at)))],
                ]),
              )
            : null,
          imported
            ? h(
                "div",
                { class: "results", id: "import-results" },
                j.status === "COMPLETED" && !partial ? h("p", { class: "success", role: "status" }, "Import completed.") : null,
                partial ? h("p", { class: "partial", role: "status", id: "partial-message" }, "Import completed partially, some records failed.") : null,
                j.status === "FAILED" ? h("div", { class: "problem", role: "alert" }, h("strong", null, "The import failed. "), j.failure_reason ?? "") : null,
                h(
                  "div",
                  { class: "stats" },
                  stat("Duration", hms(i.duration_seconds), "import-duration"),
                  stat("Records processed", num(i.records_processed), "records-processed"),
                  stat("Records added", num(i.added), "records-added", "good"),
                  stat("Records updated", num(i.updated), "records-updated", "good"),
                  stat("Failed records", num(i.failed), "records-failed", (i.failed ?? 0) > 0 ? "bad" : ""),
                ),
                partial ? [h("h3", null, "Import errors"), errorTable("ingest", j), downloadButton(j, "ingest", "Download failed records (CSV)")] : null,
                facts([["Import report table", reportName(org, i.report_table, i.report_link), "fact-wide"]]),
              )
            : null,
        ),
      );
    }
    if (j.status === "FAILED" && !i.started_at) {
      parts.push(h("div", { class: "problem", role: "alert" }, h("strong", null, "The job failed. "), j.failure_reason ?? ""));
    }

    if (j.status !== "DRAFT") parts.push(historySection(j));

    // Keep keyboard focus on the same control across a re-render.
    const focusedId = (document.activeElement as HTMLElement | null)?.id;
    replace(statusPanel, parts.filter(Boolean) as HTMLElement[]);
    if (focusedId && statusPanel.contains(document.getElementById(focusedId))) document.getElementById(focusedId)!.focus();
  }

  const HISTORY_LABELS: Record<string, string> = {
    created: "Created",
    edited: "Edited",
    validation_started: "Validation started",
    validation_completed: "Validation completed",
    validation_failed: "Validation failed",
    approved: "Approved",
    rejected: "Rejected",
    ingest_completed: "Import completed",
    ingest_failed: "Import failed",
  };

  function historySection(j: Job): HTMLElement {
    const box = h("section", { class: "card", "aria-labelledby": "history-title", id: "history" }, h("h2", { id: "history-title" }, "History"));
    const list = h("ol", { class: "history" });
    box.appendChild(list);
    void (async () => {
      if (!(await apiPaths()).has("/v1/orgs/{org_id}/jobs/{job_id}/history")) {
        box.remove();
        return;
      }
      try {
        const res = await raw("GET", `${api.jobPath(org, j.id)}/history`);
        const { items } = (await res.json()) as { items: { action: string; actor: string | null; at: string }[] };
        replace(
          list,
          items.map((i) => h("li", null, h("span", { class: "history-when" }, when(i.at)), " ", HISTORY_LABELS[i.action] ?? i.action.replace(/_/g, " "), i.actor ? ` by ${i.actor}` : "")),
        );
      } catch (err) {
        replace(list, h("li", null, problemBox(err, "The history could not be loaded.")));
      }
    })();
    return box;
  }

  function stat(label: string, value: string, id: string, cls = ""): HTMLElement {
    return h("div", { class: `stat ${cls}` }, h("span", { class: "stat-label" }, label), h("span", { class: "stat-value", id }, value));
  }

  function update(j: Job): void {
    const first = job === null;
    const changed = !job || JSON.stringify(job) !== JSON.stringify(j);
    job = j;
    if (!changed) return;
    renderHead(j);
    renderStatus(j);
    if (first) {
      renderConfig();
      focusHeading(root);
    }
  }

  function tick(): void {
    for (const el of statusPanel.querySelectorAll<HTMLElement>(".elapsed[data-since]")) {
      if (el.dataset.since) el.textContent = hms(elapsedSince(el.dataset.since));
    }
  }

  /** Follow the job's event stream while it runs (reconnecting if the connection drops). */
  function follow(): void {
    if (stream || stopped) return;
    stream = new AbortController();
    const signal = stream.signal;
    void (async () => {
      while (!stopped && job && RUNNING.has(job.status)) {
        try {
          await streamEvents(
            `${api.jobPath(org, id)}/events`,
            (event, data) => {
              if (event === "job") update(JSON.parse(data) as Job);
            },
            signal,
          );
        } catch (err) {
          if (signal.aborted) break;
          if (err instanceof ApiError && err.status >= 400 && err.status < 500) break;
          await new Promise((r) => setTimeout(r, 2000));
        }
        if (stopped) break;
        try {
          update(await api.getJob(org, id));
        } catch {
          /* keep the last known state */
        }
      }
      stream = null;
    })();
  }

  ticker = window.setInterval(tick, 1000);
  api.getJob(org, id).then(
    (j) => {
      if (stopped) return;
      update(j);
      follow();
    },
    (err) => {
      if (!stopped) replace(statusPanel, problemBox(err, "The job could not be loaded."));
    },
  );

  return () => {
    stopped = true;
    stream?.abort();
    window.clearInterval(ticker);
  };
}
