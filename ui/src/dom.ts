// Tiny DOM helpers: no framework, just elements, modals and formatting.

import { problemBox } from "./problems";

export type Child = Node | string | number | null | undefined | false | Child[];
type Props = Record<string, unknown>;

const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "hidden", "indeterminate", "required"]);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
      } else if (key === "class") {
        el.className = String(value);
      } else if (PROPERTIES.has(key)) {
        (el as unknown as Record<string, unknown>)[key] = value;
      } else {
        el.setAttribute(key, value === true ? "" : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let uid = 0;
export function newId(prefix = "id"): string {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled field: label, control, optional hint, and a slot for the error shown next to it. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLDivElement {
  const id = control.id || newId("f");
  control.id = id;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

/** Show an error message right after a control (or clear it with message = null). */
export function setFieldError(control: HTMLElement, message: string | null): void {
  const errId = `${control.id}-error`;
  document.getElementById(errId)?.remove();
  const described = (control.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== errId);
  if (message) {
    const err = h("p", { class: "field-error", id: errId }, message);
    (control.closest(".field") ?? control.parentElement)?.appendChild(err);
    control.setAttribute("aria-invalid", "true");
    described.push(errId);
  } else {
    control.removeAttribute("aria-invalid");
  }
  if (described.length) control.setAttribute("aria-describedby", described.join(" "));
  else control.removeAttribute("aria-describedby");
}

// ---- modal dialogs ------------------------------------------------------------------------------

export interface ModalHandle {
  dialog: HTMLDialogElement;
  close: () => void;
}

/** A modal <dialog> (focus stays inside, Escape closes, focus returns to the opener). */
export function openModal(title: string, body: Child[], actions: (m: ModalHandle) => Child[]): ModalHandle {
  const opener = document.activeElement as HTMLElement | null;
  const titleId = newId("dlg");
  const dialog = h("dialog", { class: "modal", "aria-labelledby": titleId });
  const handle: ModalHandle = {
    dialog,
    close: () => {
      if (dialog.open) dialog.close();
    },
  };
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener && document.contains(opener)) opener.focus();
  });
  append(dialog, [
    h("h2", { id: titleId, class: "modal-title" }, title),
    h("div", { class: "modal-body" }, body),
    h("div", { class: "modal-actions" }, actions(handle)),
  ]);
  document.body.appendChild(dialog);
  dialog.showModal();
  const first = dialog.querySelector<HTMLElement>("input, textarea, select, [autofocus]");
  (first ?? dialog.querySelector<HTMLElement>(".modal-actions button:last-child"))?.focus();
  return handle;
}

export function confirmModal(title: string, text: Child, yes: string, onYes: () => Promise<void> | void, danger = false): void {
  const problem = h("div", { class: "problem-slot" });
  openModal(title, [h("p", null, text), problem], (m) => [
    h("button", { type: "button", class: "btn", onclick: () => m.close() }, "Cancel"),
    h(
      "button",
      {
        type: "button",
        class: danger ? "btn btn-danger" : "btn btn-primary",
        onclick: async (e: Event) => {
          const btn = e.currentTarget as HTMLButtonElement;
          btn.disabled = true;
          try {
            await onYes();
            m.close();
          } catch (err) {
            btn.disabled = false;
            replace(problem, problemBox(err));
          }
        },
      },
      yes,
    ),
  ]);
}

export function toast(message: string): void {
  const el = document.getElementById("toast");
  if (!el) return;
  el.textContent = message;
  el.classList.add("show");
  window.setTimeout(() => el.classList.remove("show"), 4000);
}

// ---- formatting ---------------------------------------------------------------------------------

export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : n.toLocaleString("en-US");
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" });
}

/** Seconds as HH:MM:SS. */
export function hms(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

export function estimate(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "Calculating…";
  if (seconds < 60) return "Less than a minute";
  const lo = Math.max(1, Math.floor(seconds / 60));
  const hi = Math.ceil((seconds * 1.5) / 60);
  return hi > lo ? `${lo}–${hi} minutes` : `About ${lo} minute${lo === 1 ? "" : "s"}`;
}

export const STATUS_LABELS: Record<string, string> = {
  DRAFT: "Draft",
  VALIDATING: "Validation in progress",
  VALIDATION_FAILED: "Validation failed",
  AWAITING_APPROVAL: "Awaiting approval",
  REJECTED: "Rejected",
  IMPORTING: "Import in progress",
  COMPLETED: "Completed",
  COMPLETED_PARTIAL: "Completed partially",
  FAILED: "Failed",
};

export function statusBadge(status: string): HTMLSpanElement {
  return h("span", { class: `badge badge-${status.toLowerCase()}`, "data-status": status }, STATUS_LABELS[status] ?? status);
}

/** A description list from label/value pairs. */
export function facts(pairs: [string, Child, string?][]): HTMLDListElement {
  return h(
    "dl",
    { class: "facts" },
    pairs.map(([k, v, cls]) => h("div", { class: cls ? `fact ${cls}` : "fact" }, h("dt", null, k), h("dd", null, v))),
  );
}
