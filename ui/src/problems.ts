// API errors (problem+json) in plain words, next to what caused them.

import { ApiError, type ProblemItem } from "./api";
import { h, setFieldError } from "./dom";

const FIELD_LABELS: Record<string, string> = {
  name: "Job name",
  description: "Description",
  source: "Table",
  "source.table": "Table",
  table: "Table",
  method: "Import method",
  unique_id: "Unique ID",
  mapping: "Fields mapping",
  profile: "Import profile",
  org_config: "Organisation configuration",
  body: "Request",
  query: "Request",
};

/** "mapping.3.field" -> "Fields mapping (row 4, field)"; a profile field id -> "Fields mapping: registered_on". */
export function fieldLabel(field: string | undefined): string {
  if (!field) return "";
  if (FIELD_LABELS[field]) return FIELD_LABELS[field];
  const m = /^mapping\.(\d+)(?:\.(\w+))?$/.exec(field);
  if (m) return `Fields mapping, row ${Number(m[1]) + 1}${m[2] ? ` (${m[2].replace("_", " ")})` : ""}`;
  if (/^(custom|extended)\.|^[a-z_]+$/.test(field)) return `Fields mapping: ${field}`;
  return field;
}

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, err instanceof Error ? err.message : String(err));
}

function explain(err: ApiError): string {
  switch (err.status) {
    case 403:
      return `${err.detail} Ask an administrator for this role.`;
    case 404:
      return err.detail;
    case 409:
      return `${err.detail}`;
    default:
      return err.detail;
  }
}

/** An alert box with the problem's detail and the list of what is wrong. */
export function problemBox(err: unknown, intro?: string): HTMLDivElement {
  const e = asApiError(err);
  return h(
    "div",
    { class: "problem", role: "alert" },
    h("p", { class: "problem-detail" }, intro ? `${intro} ` : "", explain(e)),
    e.errors.length
      ? h(
          "ul",
          { class: "problem-list" },
          e.errors.map((item: ProblemItem) =>
            h(
              "li",
              { "data-field": item.field ?? "" },
              item.field ? h("strong", null, `${item.message.startsWith(item.field) && /^[a-z_.]+$/.test(item.field) ? "Fields mapping" : fieldLabel(item.field)}: `) : null,
              item.message,
            ),
          ),
        )
      : null,
  );
}

/**
 * Put each error whose `field` names one of the given controls right next to that control; returns the errors
 * that matched no control (to be shown in a box near the action).
 */
export function showFieldErrors(err: unknown, controls: Record<string, HTMLElement | undefined>): ProblemItem[] {
  const e = asApiError(err);
  for (const c of Object.values(controls)) if (c) setFieldError(c, null);
  const rest: ProblemItem[] = [];
  const byControl = new Map<HTMLElement, string[]>();
  for (const item of e.errors) {
    const key = item.field ?? "";
    const control = controls[key] ?? controls[key.split(".")[0]];
    if (control) byControl.set(control, [...(byControl.get(control) ?? []), item.message]);
    else rest.push(item);
  }
  for (const [control, messages] of byControl) setFieldError(control, messages.join("; "));
  return rest;
}
