// Navigation between the app's pages (History API; job-api serves index.html for every UI path).

export type Cleanup = () => void;
export interface RouteContext {
  org: number;
  params: Record<string, string>;
  query: URLSearchParams;
}

let renderer: () => void = () => {};
export function setRenderer(fn: () => void): void {
  renderer = fn;
}

export function navigate(path: string, replaceState = false): void {
  if (replaceState) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  renderer();
}

/** Change the address without rendering again (e.g. the wizard's step or a draft's new id). */
export function setAddress(path: string): void {
  history.replaceState(null, "", path);
}

export const paths = {
  imports: (org: number, status?: string) => `/orgs/${org}/jobs${status ? `?status=${status}` : ""}`,
  newJob: (org: number) => `/orgs/${org}/jobs/new`,
  edit: (org: number, id: string, step?: number) => `/orgs/${org}/jobs/${id}/edit${step ? `?step=${step}` : ""}`,
  job: (org: number, id: string) => `/orgs/${org}/jobs/${id}`,
};

/** Move focus to the page's heading after a navigation, so keyboard and screen reader users start there. */
export function focusHeading(root: HTMLElement): void {
  const h1 = root.querySelector<HTMLElement>("h1");
  if (h1) {
    h1.tabIndex = -1;
    h1.focus({ preventScroll: false });
  }
}
