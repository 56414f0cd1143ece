// Data Import web UI: login, org picker, routing between the imports listing, the wizard and the job page.

import "./style.css";
import { api, ApiError, getToken, setToken, setUnauthorizedHandler } from "./api";
import { field, h, replace } from "./dom";
import { problemBox } from "./problems";
import { listingView } from "./views/listing";
import { wizardView } from "./views/wizard";
import { jobView } from "./views/job";
import { type Cleanup, paths, type RouteContext, setRenderer } from "./nav";

const ORG_KEY = "dataimport.org";
const DEFAULT_ORG = 1001;

const header = document.getElementById("app-header")!;
const main = document.getElementById("main")!;
let cleanup: Cleanup | null = null;

export function currentOrg(): number {
  const m = /^\/orgs\/(\d+)/.exec(location.pathname);
  if (m) return Number(m[1]);
  return Number(localStorage.getItem(ORG_KEY)) || DEFAULT_ORG;
}

type View = (ctx: RouteContext, root: HTMLElement) => Cleanup | void;

const ROUTES: [RegExp, string[], View][] = [
  [/^\/orgs\/(\d+)\/jobs\/?$/, [], listingView],
  [/^\/orgs\/(\d+)\/jobs\/new\/?$/, [], wizardView],
  [/^\/orgs\/(\d+)\/jobs\/([0-9a-fA-F-]{36})\/edit\/?$/, ["id"], wizardView],
  [/^\/orgs\/(\d+)\/jobs\/([0-9a-fA-F-]{36})\/?$/, ["id"], jobView],
];

function renderHeader(): void {
  const org = currentOrg();
  const orgInput = h("input", {
    id: "org-id",
    type: "number",
    min: "1",
    step: "1",
    inputmode: "numeric",
    required: true,
    value: String(org),
    class: "org-input",
  });
  const signedIn = !!getToken();
  replace(
    header,
    h("a", { href: paths.imports(org), class: "brand" }, "Data Import"),
    h("nav", { "aria-label": "Main" }, signedIn ? h("a", { href: paths.imports(org) }, "Imports") : null),
    h(
      "form",
      {
        class: "org-form",
        "aria-label": "Organisation",
        onsubmit: (e: Event) => {
          e.preventDefault();
          const value = Number(orgInput.value);
          if (!Number.isInteger(value) || value < 1) {
            orgInput.setAttribute("aria-invalid", "true");
            return;
          }
          localStorage.setItem(ORG_KEY, String(value));
          history.pushState(null, "", paths.imports(value));
          render();
        },
      },
      h("label", { for: "org-id" }, "Organisation ID"),
      orgInput,
      h("button", { type: "submit", class: "btn btn-small" }, "Switch"),
    ),
    signedIn
      ? h(
          "button",
          {
            type: "button",
            class: "btn btn-small btn-quiet",
            onclick: () => {
              setToken(null);
              render();
            },
          },
          "Sign out",
        )
      : null,
  );
}

function loginView(message?: string): void {
  const tokenInput = h("input", { id: "token", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
  const slot = h("div", { class: "problem-slot" });
  replace(
    main,
    h(
      "section",
      { class: "card login" },
      h("h1", { tabindex: "-1" }, "Sign in"),
      h("p", null, "Paste an API token. Locally, ", h("code", null, "make up"), " writes one to ", h("code", null, ".data/dev-token"), "."),
      message ? h("div", { class: "problem", role: "alert" }, message) : null,
      h(
        "form",
        {
          onsubmit: async (e: Event) => {
            e.preventDefault();
            const token = tokenInput.value.trim();
            if (!token) return;
            try {
              setToken(token);
              await api.listJobs(currentOrg()).catch((err) => {
                if (err instanceof ApiError && err.status !== 401 && err.status !== 0) return null; // e.g. org not covered
                throw err;
              });
              render();
            } catch (err) {
              setToken(null);
              replace(slot, problemBox(err, (err as ApiError).status === 401 ? "This token was refused." : undefined));
              tokenInput.focus();
            }
          },
        },
        field("API token", tokenInput, "Kept in this browser tab only (sessionStorage)."),
        slot,
        h("button", { type: "submit", class: "btn btn-primary" }, "Sign in"),
      ),
    ),
  );
  renderHeader();
  tokenInput.focus();
}

export function render(): void {
  cleanup?.();
  cleanup = null;
  document.querySelectorAll("dialog.modal").forEach((d) => (d as HTMLDialogElement).close());
  if (!getToken()) {
    loginView();
    return;
  }
  if (!/^\/orgs\/\d+/.test(location.pathname)) {
    history.replaceState(null, "", paths.imports(currentOrg()));
  }
  const org = currentOrg();
  localStorage.setItem(ORG_KEY, String(org));
  renderHeader();
  for (const [re, names, view] of ROUTES) {
    const m = re.exec(location.pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    names.forEach((n, i) => (params[n] = m[i + 2]));
    main.replaceChildren();
    cleanup = view({ org, params, query: new URLSearchParams(location.search) }, main) || null;
    return;
  }
  replace(
    main,
    h("h1", { tabindex: "-1" }, "Page not found"),
    h("p", null, h("a", { href: paths.imports(org) }, "Back to imports")),
  );
}

setUnauthorizedHandler((detail) => {
  setToken(null);
  cleanup?.();
  cleanup = null;
  loginView(`Your token was refused (${detail}). Sign in again.`);
});

document.addEventListener("click", (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element).closest?.("a");
  if (!a || a.hasAttribute("download") || a.target || a.origin !== location.origin) return;
  if (a.pathname.startsWith("/v1/") || a.pathname.startsWith("/docs")) return;
  e.preventDefault();
  history.pushState(null, "", a.pathname + a.search);
  render();
});
window.addEventListener("popstate", render);
setRenderer(render);

render();
