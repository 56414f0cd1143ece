// The four-step wizard: data to import, profile and method, fields mapping, review and proceed.

import {
  api,
  ApiError,
  type Catalog,
  type Job,
  type JobBody,
  type Mapping,
  type Method,
  type OrgConfig,
  type Preview,
  type UniqueId,
} from "../api";
import { confirmModal, field, h, num, openModal, replace, setFieldError } from "../dom";
import { focusHeading, navigate, paths, type RouteContext, setAddress } from "../nav";
import { asApiError, problemBox, showFieldErrors } from "../problems";
import { configSummary, mandatoryGroups, mappedGroups, METHOD_LABELS } from "./summary";

const STEPS = ["Data to import", "Profile and method", "Fields mapping", "Review and proceed"];
const UNIQUE_IDS: UniqueId[] = ["MOBILE", "EXTERNAL_ID", "USER_ID", "EMAIL"];
const METHOD_HELP: Record<Method, string> = {
  insert: "Inserts new records only; skips if an existing record is found.",
  update: "Updates existing records if found; does not insert new records.",
  upsert: "Updates existing records if found; otherwise inserts them as new records.",
};
const CATEGORY_LABELS: Record<string, string> = {
  identifiers: "Identifiers",
  standard: "Standard fields",
  loyalty: "Loyalty",
  status: "Status",
  custom: "Custom fields",
  extended: "Extended fields",
};
const STEP_KEY = (id: string) => `dataimport.step.${id}`;

interface Draft {
  id: string | null;
  name: string;
  description: string;
  table: string | null;
  method: Method | null;
  unique_id: UniqueId | null;
  mapping: Mapping[];
}

/** The step a draft reopens at: where it was saved in this browser, else the first step it has not completed. */
export function resumeStep(job: Job): number {
  const saved = Number(localStorage.getItem(STEP_KEY(job.id)));
  if (saved >= 1 && saved <= 4) return saved;
  if (!job.source?.table) return 1;
  if (!job.method || !job.unique_id) return 2;
  if (!job.mapping?.length) return 3;
  return 4;
}

function body(d: Draft): JobBody {
  return {
    name: d.name.trim(),
    description: d.description.trim() || null,
    source: d.table ? { table: d.table } : null,
    profile: "customer",
    method: d.method,
    unique_id: d.unique_id,
    mapping: d.mapping.length ? d.mapping : null,
  };
}

export function wizardView(ctx: RouteContext, root: HTMLElement) {
  const org = ctx.org;
  const draft: Draft = { id: ctx.params.id ?? null, name: "", description: "", table: null, method: null, unique_id: null, mapping: [] };
  let step = 1;
  let stopped = false;

  // Data loaded from the API, once per page.
  let tables: Promise<string[]> | null = null;
  const previews = new Map<string, Promise<Preview>>();
  let config: Promise<OrgConfig> | null = null;
  let catalog: Promise<Catalog> | null = null;
  const getTables = () => (tables ??= api.tables(org).then((r) => r.tables));
  const getPreview = (t: string) => {
    if (!previews.has(t)) previews.set(t, api.preview(org, t).catch((e) => (previews.delete(t), Promise.reject(e))));
    return previews.get(t)!;
  };
  const getConfig = () => (config ??= api.config(org).catch((e) => ((config = null), Promise.reject(e))));
  const getCatalog = () => (catalog ??= api.catalog(org).catch((e) => ((catalog = null), Promise.reject(e))));

  const title = h("h1", null, draft.id ? "Edit import job" : "New import job");
  const stepper = h("ol", { class: "stepper", "aria-label": "Steps" });
  const content = h("div", { class: "step-content" });
  const problemSlot = h("div", { class: "problem-slot", id: "wizard-problem" });
  const savedNote = h("p", { class: "saved-note", role: "status", "aria-live": "polite" });
  const footer = h("div", { class: "wizard-footer" });
  replace(
    root,
    h("p", { class: "crumbs" }, h("a", { href: paths.imports(org) }, "Imports"), " / ", draft.id ? "Edit draft" : "New import job"),
    title,
    stepper,
    h("section", { class: "card step-card", "aria-labelledby": "step-title" }, content, problemSlot, savedNote, footer),
  );

  let stepControls: Record<string, HTMLElement | undefined> = {};

  function showProblem(err: unknown, intro?: string): void {
    const rest = showFieldErrors(err, stepControls);
    const e = asApiError(err);
    if (!rest.length && e.errors.length) {
      replace(problemSlot);
      return;
    }
    const box = problemBox(new ApiError(e.status, e.detail, rest), intro);
    if (step !== 3 && rest.some((i) => /^mapping|^[a-z_]+$|^(custom|extended)\./.test(i.field ?? "") && !["name", "description", "method", "unique_id"].includes(i.field ?? ""))) {
      box.appendChild(h("button", { type: "button", class: "btn btn-small", onclick: () => go(3) }, "Go to Fields mapping"));
    }
    replace(problemSlot, box);
    box.scrollIntoView({ block: "nearest" });
  }

  function clearProblem(): void {
    replace(problemSlot);
    for (const c of Object.values(stepControls)) if (c) setFieldError(c, null);
  }

  async function save(): Promise<Job> {
    const job = draft.id ? await api.patchJob(org, draft.id, body(draft)) : await api.createJob(org, body(draft));
    draft.id = job.id;
    localStorage.setItem(STEP_KEY(job.id), String(step));
    setAddress(paths.edit(org, job.id, step));
    return job;
  }

  function saveDraftModal(): void {
    const nameInput = h("input", { id: "draft-name", type: "text", required: true, maxlength: "100", value: draft.name, autocomplete: "off" });
    const descInput = h("textarea", { id: "draft-description", rows: "3", maxlength: "1000" });
    descInput.value = draft.description;
    const slot = h("div", { class: "problem-slot" });
    openModal(
      "Save as draft",
      [
        h("p", null, "The job appears on the imports listing, where you can come back to it later."),
        field("Job name", nameInput),
        field("Description (optional)", descInput),
        slot,
      ],
      (m) => [
        h("button", { type: "button", class: "btn", onclick: () => m.close() }, "Cancel"),
        h(
          "button",
          {
            type: "button",
            class: "btn btn-primary",
            id: "draft-save",
            onclick: async (e: Event) => {
              const btn = e.currentTarget as HTMLButtonElement;
              replace(slot);
              setFieldError(nameInput, null);
              if (!nameInput.value.trim()) {
                setFieldError(nameInput, "Enter a job name.");
                nameInput.focus();
                return;
              }
              const before = { name: draft.name, description: draft.description };
              draft.name = nameInput.value;
              draft.description = descInput.value;
              btn.disabled = true;
              try {
                await save();
                m.close();
                savedNote.textContent = `Draft “${draft.name.trim()}” saved. You can find it on the imports listing.`;
                if (step === 4) renderStep();
              } catch (err) {
                Object.assign(draft, before);
                btn.disabled = false;
                const rest = showFieldErrors(err, { name: nameInput, description: descInput });
                const ae = asApiError(err);
                if (rest.length || !ae.errors.length) replace(slot, problemBox(new ApiError(ae.status, ae.detail, rest), "The draft was not saved."));
              }
            },
          },
          "Save",
        ),
      ],
    );
  }

  function go(n: number): void {
    step = n;
    clearProblem();
    savedNote.textContent = "";
    if (draft.id) {
      setAddress(paths.edit(org, draft.id, n));
      localStorage.setItem(STEP_KEY(draft.id), String(n));
    }
    renderStep();
    (content.querySelector("h2") as HTMLElement | null)?.focus();
  }

  function renderStepper(): void {
    replace(
      stepper,
      STEPS.map((label, i) =>
        h(
          "li",
          { class: i + 1 === step ? "current" : i + 1 < step ? "done" : "", "aria-current": i + 1 === step ? "step" : null },
          h("span", { class: "step-num", "aria-hidden": "true" }, String(i + 1)),
          h("span", null, h("span", { class: "sr-only" }, `Step ${i + 1}: `), label),
        ),
      ),
    );
  }

  function renderFooter(onNext: () => void | Promise<void>): void {
    const next =
      step < 4
        ? h("button", { type: "button", class: "btn btn-primary", id: "next", onclick: onNext }, "Next")
        : h("button", { type: "button", class: "btn btn-primary", id: "proceed", onclick: onNext }, "Proceed to validate");
    replace(
      footer,
      step > 1 ? h("button", { type: "button", class: "btn", id: "previous", onclick: () => go(step - 1) }, "Previous step") : h("span"),
      h("div", { class: "footer-right" }, h("button", { type: "button", class: "btn", id: "save-draft", onclick: saveDraftModal }, "Save as draft"), next),
    );
  }

  function heading(): HTMLElement {
    return h("h2", { id: "step-title", tabindex: "-1" }, `Step ${step}: ${STEPS[step - 1]}`);
  }

  // ---- step 1 -----------------------------------------------------------------------------------
  function step1(): void {
    const tableSelect = h("select", { id: "table", disabled: true }, h("option", { value: "" }, "Loading tables…"));
    const connection = h("p", { class: "connection", role: "status" });
    const previewBox = h("div", { class: "preview", "aria-live": "polite" });
    stepControls = { "source.table": tableSelect, source: tableSelect, table: tableSelect };
    const refresh = h("button", { type: "button", class: "btn btn-small", onclick: () => ((tables = null), loadTables()) }, "Refresh list");

    const showPreview = async () => {
      setFieldError(tableSelect, null);
      const t = tableSelect.value;
      if (!t) {
        replace(previewBox);
        return;
      }
      replace(previewBox, h("p", { class: "muted" }, `Loading a preview of ${t}…`));
      try {
        const p = await getPreview(t);
        if (stopped || tableSelect.value !== t) return;
        const fields = p.fields.map((f) => f.name);
        replace(
          previewBox,
          h(
            "div",
            { class: "preview-stats" },
            h("div", { class: "stat" }, h("span", { class: "stat-label" }, "Total records"), h("span", { class: "stat-value", id: "total-records" }, num(p.total_records))),
            h("div", { class: "stat" }, h("span", { class: "stat-label" }, "Fields"), h("span", { class: "stat-value", id: "field-count" }, num(p.fields.length))),
          ),
          h("h3", null, `Preview of the top ${Math.min(50, p.rows.length)} records`),
          h(
            "div",
            { class: "table-scroll", tabindex: "0", role: "region", "aria-label": `Preview of ${t}` },
            h(
              "table",
              { class: "table preview-table" },
              h("thead", null, h("tr", null, p.fields.map((f) => h("th", { scope: "col" }, f.name, h("div", { class: "type" }, f.type))))),
              h(
                "tbody",
                null,
                p.rows.map((r) => h("tr", null, fields.map((f) => h("td", null, r[f] === null || r[f] === undefined ? h("span", { class: "null" }, "null") : String(r[f]))))),
              ),
            ),
          ),
        );
      } catch (err) {
        if (!stopped) replace(previewBox, problemBox(err, `The preview of ${t} could not be loaded.`));
      }
    };

    const loadTables = async () => {
      tableSelect.disabled = true;
      try {
        const list = await getTables();
        if (stopped) return;
        const sources = list.filter((t) => !t.startsWith("report_"));
        const reports = list.filter((t) => t.startsWith("report_"));
        const current = draft.table;
        replace(
          tableSelect,
          h("option", { value: "" }, "Select the table"),
          sources.map((t) => h("option", { value: t, selected: t === current }, t)),
          reports.length ? h("optgroup", { label: "Report tables of earlier jobs" }, reports.map((t) => h("option", { value: t, selected: t === current }, t))) : null,
        );
        if (current && !list.includes(current)) {
          tableSelect.appendChild(h("option", { value: current, selected: true }, `${current} (not found)`));
        }
        tableSelect.disabled = false;
        replace(connection, h("span", { class: "ok-mark", "aria-hidden": "true" }, "✓ "), `Warehouse connection established: ${list.length} table${list.length === 1 ? "" : "s"} in import_${org}.`);
        if (tableSelect.value) void showPreview();
      } catch (err) {
        replace(connection, problemBox(err, "The warehouse could not be reached."));
      }
    };

    tableSelect.addEventListener("change", () => {
      const t = tableSelect.value || null;
      if (t !== draft.table) {
        draft.table = t;
        if (t)
          getPreview(t)
            .then((p) => {
              const cols = new Set(p.fields.map((f) => f.name));
              draft.mapping = draft.mapping.filter((m) => cols.has(m.source_column));
            })
            .catch(() => {});
      }
      void showPreview();
    });

    replace(
      content,
      heading(),
      h(
        "fieldset",
        { class: "fieldset" },
        h("legend", null, "Data source"),
        h(
          "label",
          { class: "choice" },
          h("input", { type: "radio", name: "source-kind", value: "warehouse", checked: true }),
          h("span", null, h("strong", null, "Warehouse"), h("span", { class: "muted" }, ` — the import_${org} database of your organisation`)),
        ),
        connection,
      ),
      h("div", { class: "field-row" }, field("Table name", tableSelect, `Tables of the import_${org} database. New tables appear here right away.`), refresh),
      previewBox,
    );
    void loadTables();
    renderFooter(() => {
      if (!draft.table) {
        setFieldError(tableSelect, "Select the table to import.");
        tableSelect.focus();
        return;
      }
      go(2);
    });
  }

  // ---- step 2 -----------------------------------------------------------------------------------
  function step2(): void {
    const profile = h("select", { id: "profile" }, h("option", { value: "customer", selected: true }, "Customer"));
    const methodSet = h("fieldset", { class: "fieldset", id: "method-group", tabindex: "-1" }, h("legend", null, "Import method"));
    const uniqueSet = h("fieldset", { class: "fieldset", id: "unique-group", tabindex: "-1" }, h("legend", null, "Unique ID"));
    const configNote = h("div", { class: "problem-slot" });
    stepControls = { method: methodSet, unique_id: uniqueSet, profile };
    let flexibility = false;

    const renderMethods = () => {
      const legend = methodSet.querySelector("legend")!;
      replace(methodSet, legend);
      for (const m of ["insert", "update", "upsert"] as Method[]) {
        const disabled = m === "upsert" && flexibility;
        const descId = `method-${m}-desc`;
        methodSet.appendChild(
          h(
            "label",
            { class: disabled ? "choice disabled" : "choice" },
            h("input", {
              type: "radio",
              name: "method",
              value: m,
              id: `method-${m}`,
              checked: draft.method === m,
              disabled,
              "aria-describedby": descId,
              onchange: () => {
                draft.method = m;
                if (draft.unique_id === "USER_ID" && m !== "update") draft.unique_id = null;
                setFieldError(methodSet, null);
                renderUnique();
              },
            }),
            h(
              "span",
              null,
              h("strong", null, METHOD_LABELS[m]),
              h(
                "span",
                { class: "choice-help", id: descId },
                METHOD_HELP[m],
                disabled ? h("span", { class: "disabled-reason" }, " Not available: identifier flexibility is enabled for this organisation, and the two are mutually exclusive.") : null,
              ),
            ),
          ),
        );
      }
    };
    const renderUnique = () => {
      const legend = uniqueSet.querySelector("legend")!;
      replace(uniqueSet, legend, h("p", { class: "hint" }, "The identifier used to find existing customers."));
      for (const u of UNIQUE_IDS) {
        const disabled = u === "USER_ID" && draft.method !== null && draft.method !== "update";
        uniqueSet.appendChild(
          h(
            "label",
            { class: disabled ? "choice inline disabled" : "choice inline" },
            h("input", {
              type: "radio",
              name: "unique-id",
              value: u,
              id: `unique-${u}`,
              checked: draft.unique_id === u,
              disabled,
              onchange: () => {
                draft.unique_id = u;
                setFieldError(uniqueSet, null);
              },
            }),
            h("span", null, u, disabled ? h("span", { class: "disabled-reason" }, " (Update only: user ids are assigned by the platform)") : null),
          ),
        );
      }
    };
    renderMethods();
    renderUnique();
    replace(
      content,
      heading(),
      field("Import profile", profile, "Customer: customer registration or profile data."),
      configNote,
      methodSet,
      h("h3", null, "Additional configurations"),
      uniqueSet,
    );
    getConfig()
      .then((cfg) => {
        if (stopped) return;
        flexibility = !!cfg.identifier_flexibility;
        if (flexibility && draft.method === "upsert") {
          draft.method = null;
          setFieldError(methodSet, "Upsert is not available for this organisation: choose Insert or Update.");
        }
        renderMethods();
      })
      .catch((err) => replace(configNote, problemBox(err, "The organisation's configuration could not be loaded.")));
    renderFooter(() => {
      let ok = true;
      if (!draft.method) {
        setFieldError(methodSet, "Select an import method.");
        ok = false;
      }
      if (!draft.unique_id) {
        setFieldError(uniqueSet, "Select the unique ID.");
        ok = false;
      }
      if (!ok) {
        (content.querySelector("[aria-invalid=true]") as HTMLElement | null)?.focus();
        return;
      }
      go(3);
    });
  }

  // ---- step 3 -----------------------------------------------------------------------------------
  function step3(): void {
    const banner = h("div", { class: "banner", id: "mandatory-banner", role: "status", "aria-live": "polite" });
    const tableBox = h("div", null, h("p", { class: "muted" }, "Loading the source fields and the profile fields…"));
    stepControls = {};
    replace(
      content,
      heading(),
      h("p", null, "Map each field of the source data to a Customer profile field. Source fields left unmapped are kept in the report tables but not imported."),
      banner,
      draft.method === "update"
        ? h("p", { class: "note", id: "update-note" }, "Note: with the Update method, identifier fields (mobile, email, external ID) cannot be updated. Mapping them has no effect; only non-identifier fields are updated.")
        : null,
      tableBox,
    );
    renderFooter(() => go(4));

    if (!draft.table || !draft.method || !draft.unique_id) {
      replace(tableBox, h("div", { class: "problem", role: "alert" }, "Choose a table (step 1) and an import method and unique ID (step 2) first."));
      return;
    }
    Promise.all([getPreview(draft.table), getCatalog()])
      .then(([preview, cat]) => {
        if (stopped) return;
        const groups = mandatoryGroups(cat, draft.method, draft.unique_id);
        const groupOf = (f: string) => groups.find((g) => g.includes(f));
        const singles = new Set(groups.filter((g) => g.length === 1).map((g) => g[0]));
        const known = new Set(Object.values(cat.categories).flat().map((f) => f.id));
        // Mandatory fields are always marked mandatory; mappings to unknown fields are dropped.
        draft.mapping = draft.mapping.filter((m) => known.has(m.field)).map((m) => (singles.has(m.field) ? { ...m, mandatory: true } : m));
        const mapOf = (col: string) => draft.mapping.find((m) => m.source_column === col);
        const countHeader = h("span", { class: "count" });
        const rows: { col: string; select: HTMLSelectElement; check: HTMLInputElement }[] = [];

        const refresh = () => {
          const used = new Map(draft.mapping.map((m) => [m.field, m.source_column]));
          for (const r of rows) {
            const mine = mapOf(r.col);
            for (const opt of Array.from(r.select.options)) {
              const owner = used.get(opt.value);
              opt.disabled = !!opt.value && !!owner && owner !== r.col;
            }
            r.select.value = mine?.field ?? "";
            const single = !!mine && singles.has(mine.field);
            r.check.checked = !!mine && (mine.mandatory || single);
            r.check.disabled = !mine || single;
            r.check.title = single ? "Mandatory for this import method and unique ID" : !mine ? "Map the field first" : "";
          }
          const n = mappedGroups(groups, draft.mapping);
          const m = groups.length;
          banner.className = n === m ? "banner banner-ok" : "banner banner-warn";
          replace(
            banner,
            h("span", { id: "mandatory-count" }, `${n}/${m} mandatory profile fields mapped`),
            h("button", { type: "button", class: "btn-link", id: "view-mandatory", onclick: viewMandatory }, "View mandatory fields"),
          );
          countHeader.textContent = ` (${n}/${m} mandatory mapped)`;
        };

        const viewMandatory = () => {
          const fields = new Set(draft.mapping.map((m) => m.field));
          openModal(
            "Mandatory fields",
            [
              h("p", null, `For ${METHOD_LABELS[draft.method!]} by ${draft.unique_id}, these Customer profile fields must be mapped:`),
              h(
                "ul",
                { class: "mandatory-list" },
                groups.map((g) =>
                  h(
                    "li",
                    null,
                    g.join(" or "),
                    h("span", { class: "req", "aria-hidden": "true" }, " *"),
                    g.some((f) => fields.has(f)) ? h("span", { class: "ok-mark" }, " ✓ mapped") : h("span", { class: "warn-mark" }, " not mapped"),
                  ),
                ),
              ),
            ],
            (m) => [h("button", { type: "button", class: "btn btn-primary", onclick: () => m.close() }, "Close")],
          );
        };

        const optionsFor = () =>
          Object.entries(cat.categories)
            .filter(([, fields]) => fields.length)
            .map(([category, fields]) =>
              h(
                "optgroup",
                { label: CATEGORY_LABELS[category] ?? category },
                fields.map((f) => h("option", { value: f.id }, f.id, groupOf(f.id) ? " *" : "")),
              ),
            );

        const tbody = h("tbody");
        for (const f of preview.fields) {
          const col = f.name;
          const selectId = `map-${col}`;
          const select = h("select", { id: selectId, "data-source-column": col, "aria-label": `Customer profile field for ${col}` }, h("option", { value: "" }, "Select profile field"), optionsFor());
          const check = h("input", { type: "checkbox", id: `mandatory-${col}`, "aria-label": `Mark ${col} as mandatory` });
          rows.push({ col, select, check });
          select.addEventListener("change", () => {
            const value = select.value;
            draft.mapping = draft.mapping.filter((m) => m.source_column !== col);
            if (value) {
              const g = groupOf(value);
              const otherMapped = !!g && draft.mapping.some((m) => g.includes(m.field) && m.mandatory);
              const mapping: Mapping = { source_column: col, field: value, mandatory: !!g && !otherMapped };
              // Keep the source table's column order.
              const order = preview.fields.map((x) => x.name);
              draft.mapping = [...draft.mapping, mapping].sort((a, b) => order.indexOf(a.source_column) - order.indexOf(b.source_column));
            }
            refresh();
          });
          check.addEventListener("change", () => {
            const m = mapOf(col);
            if (m) m.mandatory = check.checked;
            refresh();
          });
          tbody.appendChild(
            h(
              "tr",
              { "data-source-column": col },
              h("th", { scope: "row" }, h("label", { for: selectId }, col), h("div", { class: "type" }, f.type)),
              h("td", null, select),
              h("td", { class: "center" }, h("label", { class: "check" }, check, h("span", { class: "check-text" }, "Mark as mandatory"))),
            ),
          );
        }
        replace(
          tableBox,
          h(
            "table",
            { class: "table mapping-table" },
            h("caption", { class: "sr-only" }, "Fields mapping"),
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                h("th", { scope: "col" }, "Fields of source data to be imported"),
                h("th", { scope: "col" }, "Customer profile fields", countHeader),
                h("th", { scope: "col" }, "Mark as mandatory"),
              ),
            ),
            tbody,
          ),
          h("p", { class: "hint" }, "Fields marked * are mandatory for this method and unique ID. Fields marked as mandatory must have a value in every record, otherwise the record is invalid."),
        );
        refresh();
      })
      .catch((err) => !stopped && replace(tableBox, problemBox(err, "The fields could not be loaded.")));
  }

  // ---- step 4 -----------------------------------------------------------------------------------
  function step4(): void {
    const nameInput = h("input", { id: "job-name", type: "text", required: true, maxlength: "100", value: draft.name, autocomplete: "off" });
    const descInput = h("textarea", { id: "job-description", rows: "3", maxlength: "1000" });
    descInput.value = draft.description;
    nameInput.addEventListener("input", () => {
      draft.name = nameInput.value;
      setFieldError(nameInput, null);
    });
    descInput.addEventListener("input", () => (draft.description = descInput.value));
    const summaryBox = h("div", null, h("p", { class: "muted" }, "Loading the configuration summary…"));
    stepControls = { name: nameInput, description: descInput };
    replace(
      content,
      heading(),
      field("Job name", nameInput, "Also used in the report table names."),
      field("Description (optional)", descInput),
      h("h3", null, "Configuration summary"),
      summaryBox,
    );
    Promise.all([draft.table ? getPreview(draft.table).catch(() => null) : null, getCatalog().catch(() => null)]).then(([p, cat]) => {
      if (stopped) return;
      replace(summaryBox, configSummary(org, draft, p, cat));
    });

    renderFooter(() => {
      clearProblem();
      if (!draft.name.trim()) {
        setFieldError(nameInput, "Enter a job name.");
        nameInput.focus();
        return;
      }
      confirmModal(
        "Proceed to validate?",
        "Every record of the source table will be validated. Nothing is written to the customer database until the job is approved.",
        "Yes, validate",
        async () => {
          try {
            const job = await save();
            await api.validate(org, job.id);
            localStorage.removeItem(STEP_KEY(job.id));
            navigate(paths.job(org, job.id));
          } catch (err) {
            showProblem(err, err instanceof ApiError && err.status === 422 ? "" : "The job was not started.");
          }
        },
      );
    });
  }

  function renderStep(): void {
    renderStepper();
    [step1, step2, step3, step4][step - 1]();
  }

  const start = async () => {
    if (draft.id) {
      try {
        const job = await api.getJob(org, draft.id);
        if (stopped) return;
        if (job.status !== "DRAFT") {
          navigate(paths.job(org, job.id), true);
          return;
        }
        Object.assign(draft, {
          name: job.name,
          description: job.description ?? "",
          table: job.source?.table ?? null,
          method: job.method,
          unique_id: job.unique_id,
          mapping: (job.mapping ?? []).map((m) => ({ ...m, mandatory: !!m.mandatory })),
        });
        title.textContent = `Edit import job: ${job.name}`;
        const asked = Number(ctx.query.get("step"));
        step = asked >= 1 && asked <= 4 ? asked : resumeStep(job);
      } catch (err) {
        replace(content, problemBox(err, "The draft could not be loaded."));
        return;
      }
    }
    renderStep();
    focusHeading(root);
  };
  void start();
  return () => {
    stopped = true;
  };
}
