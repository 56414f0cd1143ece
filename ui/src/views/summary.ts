// The configuration summary: step 4 of the wizard and the job page's "Configuration summary" tab.

import type { Catalog, Mapping, Method, Preview, UniqueId } from "../api";
import { facts, h, newId, num } from "../dom";

export const METHOD_LABELS: Record<Method, string> = { insert: "Insert", update: "Update", upsert: "Upsert" };

export interface ConfigLike {
  table: string | null;
  method: Method | null;
  unique_id: UniqueId | null;
  mapping: Mapping[];
}

export function mandatoryGroups(catalog: Catalog | null, method: Method | null, uniqueId: UniqueId | null): string[][] {
  if (!catalog || !method || !uniqueId) return [];
  return catalog.mandatory[method]?.[uniqueId] ?? [];
}

export function mappedGroups(groups: string[][], mapping: Mapping[]): number {
  const fields = new Set(mapping.map((m) => m.field));
  return groups.filter((g) => g.some((f) => fields.has(f))).length;
}

/** A button that shows / hides a region (aria-expanded + aria-controls). */
export function disclosure(showText: string, hideText: string, content: HTMLElement, open = false): HTMLElement {
  content.id ||= newId("region");
  content.hidden = !open;
  const btn = h(
    "button",
    {
      type: "button",
      class: "btn-link",
      "aria-expanded": String(open),
      "aria-controls": content.id,
      onclick: () => {
        content.hidden = !content.hidden;
        btn.setAttribute("aria-expanded", String(!content.hidden));
        btn.textContent = content.hidden ? showText : hideText;
      },
    },
    open ? hideText : showText,
  );
  return h("div", { class: "disclosure" }, btn, content);
}

export function configSummary(org: number, cfg: ConfigLike, preview: Preview | null, catalog: Catalog | null): HTMLElement {
  const groups = mandatoryGroups(catalog, cfg.method, cfg.unique_id);
  const groupOf = (f: string) => groups.find((g) => g.includes(f));
  const mappingTable = h(
    "table",
    { class: "table mapping-summary" },
    h("caption", { class: "sr-only" }, "Field mapping"),
    h(
      "thead",
      null,
      h("tr", null, h("th", { scope: "col" }, "Source field"), h("th", { scope: "col" }, "Customer profile field"), h("th", { scope: "col" }, "Required")),
    ),
    h(
      "tbody",
      null,
      cfg.mapping.map((m) =>
        h(
          "tr",
          null,
          h("td", null, m.source_column),
          h("td", null, m.field, groupOf(m.field) ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
          h(
            "td",
            null,
            m.mandatory || groupOf(m.field)
              ? h("span", { class: "ok-mark" }, h("span", { "aria-hidden": "true" }, "✓ "), groupOf(m.field) ? "Mandatory" : "Marked mandatory")
              : h("span", { class: "muted" }, "Optional"),
          ),
        ),
      ),
    ),
  );
  const additional = h("div", null, facts([["Unique ID", cfg.unique_id ?? "Not set"]]));
  const mappedCount = mappedGroups(groups, cfg.mapping);
  return h(
    "div",
    { class: "summary" },
    h(
      "section",
      { class: "summary-section", "aria-labelledby": "sum-data" },
      h("h3", { id: "sum-data" }, "Data to import"),
      facts([
        ["Data source", `Warehouse (import_${org})`],
        ["Table name", cfg.table ?? "Not selected"],
        ["Total records", preview ? num(preview.total_records) : "—"],
        ["Fields", preview ? num(preview.fields.length) : "—"],
      ]),
    ),
    h(
      "section",
      { class: "summary-section", "aria-labelledby": "sum-profile" },
      h("h3", { id: "sum-profile" }, "Profile and method"),
      facts([
        ["Import profile", "Customer"],
        ["Import method", cfg.method ? METHOD_LABELS[cfg.method] : "Not selected"],
      ]),
      disclosure("Show additional configurations", "Hide additional configurations", additional),
    ),
    h(
      "section",
      { class: "summary-section", "aria-labelledby": "sum-mapping" },
      h("h3", { id: "sum-mapping" }, "Fields mapping"),
      facts([
        ["Source fields mapped", `${cfg.mapping.length}${preview ? ` of ${preview.fields.length}` : ""}`],
        ["Mandatory profile fields mapped", groups.length ? `${mappedCount}/${groups.length}` : "—", groups.length && mappedCount < groups.length ? "fact-warn" : undefined],
      ]),
      cfg.mapping.length ? disclosure("Show mapping", "Hide mapping", mappingTable) : h("p", { class: "muted" }, "No field is mapped yet."),
    ),
  );
}
