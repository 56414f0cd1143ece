// The public REST API of job-api (SPEC 6), with the bearer token kept in sessionStorage.

export type Method = "insert" | "update" | "upsert";
export type UniqueId = "MOBILE" | "EXTERNAL_ID" | "USER_ID" | "EMAIL";
export type JobStatus =
  | "DRAFT"
  | "VALIDATING"
  | "VALIDATION_FAILED"
  | "AWAITING_APPROVAL"
  | "REJECTED"
  | "IMPORTING"
  | "COMPLETED"
  | "COMPLETED_PARTIAL"
  | "FAILED";

export interface Mapping {
  source_column: string;
  field: string;
  mandatory: boolean;
}

export interface Validation {
  started_by: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  records_total: number | null;
  records_validated: number;
  valid: number | null;
  invalid: number | null;
  estimated_seconds_remaining: number | null;
  report_table: string | null;
  report_link?: string | null;
}

export interface Ingest {
  approved_by: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  records_processed: number;
  records_total?: number | null;
  added: number | null;
  updated: number | null;
  failed: number | null;
  estimated_seconds_remaining?: number | null;
  report_table: string | null;
  report_link?: string | null;
}

export interface Job {
  id: string;
  org_id: number;
  name: string;
  description: string | null;
  source: { table: string } | null;
  profile: string;
  method: Method | null;
  unique_id: UniqueId | null;
  mapping: Mapping[] | null;
  status: JobStatus;
  failure_reason?: string | null;
  stalled?: boolean;
  created_by: string;
  created_at: string;
  updated_at: string;
  rejected_by?: string | null;
  validation: Validation;
  ingest: Ingest;
}

export interface JobBody {
  name?: string;
  description?: string | null;
  source?: { table: string } | null;
  profile?: "customer";
  method?: Method | null;
  unique_id?: UniqueId | null;
  mapping?: Mapping[] | null;
}

export interface Preview {
  table: string;
  total_records: number;
  fields: { name: string; type: string }[];
  rows: Record<string, unknown>[];
}

export interface CatalogField {
  id: string;
  type: string;
  values?: string[];
}

export interface Catalog {
  profile: string;
  categories: Record<string, CatalogField[]>;
  /** method -> unique id -> groups of fields; each group needs one of its fields mapped. */
  mandatory: Record<string, Record<string, string[][]>>;
}

export interface OrgConfig {
  identifier_flexibility?: boolean;
  allow_registration_from_any_identifier?: boolean;
  [key: string]: unknown;
}

export interface ProblemItem {
  field?: string;
  message: string;
  code?: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public detail: string,
    public errors: ProblemItem[] = [],
  ) {
    super(detail);
  }
}

const TOKEN_KEY = "dataimport.token";

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Called when the API refuses the token (401): the app shows the login box again. */
export let onUnauthorized: (message: string) => void = () => {};
export function setUnauthorizedHandler(fn: (message: string) => void): void {
  onUnauthorized = fn;
}

async function problemFrom(res: Response): Promise<ApiError> {
  let detail = `The server answered ${res.status} ${res.statusText}.`;
  let errors: ProblemItem[] = [];
  try {
    const body = await res.json();
    if (body && typeof body.detail === "string") detail = body.detail;
    else if (body && Array.isArray(body.detail)) errors = body.detail; // FastAPI's default shape
    if (body && Array.isArray(body.errors)) errors = body.errors;
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, detail, errors);
}

export async function raw(method: string, path: string, body?: unknown, init: RequestInit = {}, token = getToken()): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    const merged = { ...headers, ...((init.headers as Record<string, string>) ?? {}) };
    res = await fetch(path, { ...init, method, headers: merged, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "Cannot reach the Data Import API. Check that job-api is running (make up) and try again.");
  }
  if (res.status === 401) {
    const problem = await problemFrom(res);
    onUnauthorized(problem.detail);
    throw problem;
  }
  if (!res.ok) throw await problemFrom(res);
  return res;
}

async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await raw(method, path, body);
  return (await res.json()) as T;
}

const org = (o: number) => `/v1/orgs/${encodeURIComponent(String(o))}`;
const job = (o: number, id: string) => `${org(o)}/jobs/${encodeURIComponent(id)}`;

export const api = {
  listJobs: (o: number, status?: string) =>
    json<{ items: Job[] }>("GET", `${org(o)}/jobs${status ? `?status=${encodeURIComponent(status)}` : ""}`),
  getJob: (o: number, id: string) => json<Job>("GET", job(o, id)),
  createJob: (o: number, body: JobBody) => json<Job>("POST", `${org(o)}/jobs`, body),
  patchJob: (o: number, id: string, body: JobBody) => json<Job>("PATCH", job(o, id), body),
  validate: (o: number, id: string) => json<Job>("POST", `${job(o, id)}/validate`),
  approve: (o: number, id: string) => json<Job>("POST", `${job(o, id)}/approve`),
  reject: (o: number, id: string) => json<Job>("POST", `${job(o, id)}/reject`),
  errors: (o: number, id: string, phase: "validate" | "ingest" = "validate") =>
    json<{ items: { message: string; count: number }[] }>("GET", `${job(o, id)}/errors?phase=${phase}`),
  records: (o: number, id: string, phase: string, status: string, cursor?: string | null) =>
    json<{ items: Record<string, unknown>[]; next: string | null }>(
      "GET",
      `${job(o, id)}/records?phase=${phase}&status=${status}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    ),
  tables: (o: number) => json<{ tables: string[] }>("GET", `${org(o)}/tables`),
  preview: (o: number, table: string) =>
    json<Preview>("GET", `${org(o)}/tables/${encodeURIComponent(table)}/preview?limit=50`),
  config: (o: number) => json<OrgConfig>("GET", `${org(o)}/config`),
  catalog: (o: number) => json<Catalog>("GET", `${org(o)}/profiles/customer/fields`),
  jobPath: job,
};

let openapiPaths: Promise<Set<string>> | null = null;

/** The API's paths (from /openapi.json), to use optional endpoints only when the server has them. */
export function apiPaths(): Promise<Set<string>> {
  openapiPaths ??= fetch("/openapi.json")
    .then((r) => (r.ok ? r.json() : { paths: {} }))
    .then((d) => new Set(Object.keys(d.paths ?? {})))
    .catch(() => new Set<string>());
  return openapiPaths;
}

/**
 * Follow a server-sent event stream that needs the bearer header (EventSource cannot send one): fetch() and
 * parse the `event:` / `data:` lines from the body's ReadableStream. Resolves when the server ends the stream.
 */
export async function streamEvents(
  path: string,
  onEvent: (event: string, data: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await raw("GET", path, undefined, { signal, headers: { Accept: "text/event-stream" } });
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = "message";
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        if (buffer[nl] === "\r" && nl === buffer.length - 1) break; // maybe half of a \r\n: wait for more
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
        if (line === "") {
          if (data.length) onEvent(event, data.join("\n"));
          event = "message";
          data = [];
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const name = colon < 0 ? line : line.slice(0, colon);
          let val = colon < 0 ? "" : line.slice(colon + 1);
          if (val.startsWith(" ")) val = val.slice(1);
          if (name === "event") event = val;
          else if (name === "data") data.push(val);
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}
