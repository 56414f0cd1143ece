// Imports listing: jobs with status, counts and times; filter by status; "+ New import job".

import { api, type Job } from "../api";
import { h, num, replace, STATUS_LABELS, statusBadge, when } from "../dom";
import { focusHeading, navigate, paths, type RouteContext } from "../nav";
import { problemBox } from "../problems";
import { resumeStep } from "./wizard";

function counts(job: Job): string {
  const v = job.validation;
  const i = job.ingest;
  if (i.started_at || job.status === "IMPORTING" || job.status.startsWith("COMPLETED")) {
    return `processed ${num(i.records_processed)} · added ${num(i.added)} · updated ${num(i.updated)} · failed ${num(i.failed)}`;
  }
  if (v.started_at) {
    const parts = [`validated ${num(v.records_validated)}${v.records_total ? ` of ${num(v.records_total)}` : ""}`];
    if (v.valid !== null) parts.push(`valid ${num(v.valid)}`, `invalid ${num(v.invalid)}`);
    return parts.join(" · ");
  }
  return "—";
}

function jobLink(org: number, job: Job): string {
  return job.status === "DRAFT" ? paths.edit(org, job.id, resumeStep(job)) : paths.job(org, job.id);
}

export function listingView(ctx: RouteContext, root: HTMLElement) {
  const status = ctx.query.get("status") ?? "";
  const select = h(
    "select",
    {
      id: "status-filter",
      onchange: () => navigate(paths.imports(ctx.org, select.value || undefined), true),
    },
    h("option", { value: "" }, "All statuses"),
    Object.entries(STATUS_LABELS).map(([value, label]) => h("option", { value, selected: value === status }, label)),
  );
  const body = h("div", { class: "listing-body", "aria-live": "polite", "aria-busy": "true" }, h("p", null, "Loading…"));
  replace(
    root,
    h(
      "div",
      { class: "page-head" },
      h("h1", null, "Imports"),
      h("a", { href: paths.newJob(ctx.org), class: "btn btn-primary", id: "new-job" }, "+ New import job"),
    ),
    h("p", { class: "muted" }, `Organisation ${ctx.org} · source database import_${ctx.org}`),
    h("div", { class: "filters" }, h("label", { for: "status-filter" }, "Status"), select),
    body,
  );
  focusHeading(root);

  let timer = 0;
  let stopped = false;
  const load = async () => {
    try {
      const { items } = await api.listJobs(ctx.org, status || undefined);
      if (stopped) return;
      body.setAttribute("aria-busy", "false");
      if (!items.length) {
        replace(body, h("p", { class: "empty" }, status ? `No ${STATUS_LABELS[status]?.toLowerCase()} jobs.` : "No import jobs yet. Start one with + New import job."));
      } else {
        replace(
          body,
          h(
            "table",
            { class: "table jobs-table" },
            h("caption", { class: "sr-only" }, "Import jobs, newest first"),
            h(
              "thead",
              null,
              h("tr", null, ["Job name", "Status", "Records", "Source table", "Created", "Updated"].map((c) => h("th", { scope: "col" }, c))),
            ),
            h(
              "tbody",
              null,
              items.map((job) =>
                h(
                  "tr",
                  { "data-job-id": job.id },
                  h("td", null, h("a", { href: jobLink(ctx.org, job) }, job.name)),
                  h("td", null, statusBadge(job.status)),
                  h("td", { class: "counts" }, counts(job)),
                  h("td", null, job.source?.table ?? "—"),
                  h("td", null, when(job.created_at), h("div", { class: "muted small" }, job.created_by)),
                  h("td", null, when(job.updated_at)),
                ),
              ),
            ),
          ),
        );
      }
      if (items.some((j) => j.status === "VALIDATING" || j.status === "IMPORTING")) timer = window.setTimeout(load, 3000);
    } catch (err) {
      if (stopped) return;
      body.setAttribute("aria-busy", "false");
      replace(body, problemBox(err, "The jobs could not be loaded."));
    }
  };
  void load();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}
