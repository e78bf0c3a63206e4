/**
 * The audit log page: filters, a table of entries, export links. Pure. Under ~600px the table is
 * drawn as one stacked card per entry (static/app.css, block "Audit page"), each cell labelled
 * by its `data-label`.
 *
 * @module
 */
import { AUDIT_RESULTS, type AuditEntry } from "../server/audit/log.ts";
import { displayCommandLine } from "../server/virsh/display.ts";
import { Layout, type LayoutSession } from "./layout.tsx";

/** The filter as typed into the form. */
export interface AuditFilterValues {
  user?: string;
  domain?: string;
  action?: string;
  result?: string;
}

/** Props of {@link AuditPage}. */
export interface AuditPageProps {
  uri: string;
  /** Who is looking. */
  session: LayoutSession | null;
  entries: AuditEntry[];
  total: number;
  filter: AuditFilterValues;
  /** Query string (with leading `?` or empty) that reproduces the filter, for export links. */
  query: string;
}

/** `GET /audit`. */
export function AuditPage(props: AuditPageProps) {
  const f = props.filter;
  return (
    <Layout title="Audit log — blockboard" uri={props.uri} session={props.session}>
      <section class="audit">
        <h1>Audit log</h1>
        <form method="get" action="/audit" class="audit-filter">
          <label>
            User <input name="user" value={f.user ?? ""} />
          </label>
          <label>
            Domain <input name="domain" value={f.domain ?? ""} placeholder="exact name" />
          </label>
          <label>
            Action <input name="action" value={f.action ?? ""} placeholder="contains" />
          </label>
          <label>
            Result
            <select name="result">
              <option value="" selected={!f.result}>any</option>
              {AUDIT_RESULTS.map((r) => <option value={r} selected={f.result === r}>{r}</option>)}
            </select>
          </label>
          <button type="submit">Filter</button>
        </form>
        <p>
          {props.total} matching entries (newest first, up to {props.entries.length} shown). Export:
          {" "}
          <a href={`/audit.csv${props.query}`}>CSV</a> ·{" "}
          <a href={`/audit.json${props.query}`}>JSON</a>
        </p>
        <table class="audit-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>User</th>
              <th>Client</th>
              <th>Host</th>
              <th>Domain</th>
              <th>Action</th>
              <th>virsh command</th>
              <th>Result</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {props.entries.map((e) => <AuditRow entry={e} uri={props.uri} />)}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}

/** One entry; a folded refusal shows its count and its first and last time. */
function AuditRow({ entry: e, uri }: { entry: AuditEntry; uri: string }) {
  const first = new Date(e.at).toISOString();
  return (
    <tr class={`audit-${e.result}`}>
      <td data-label="Time">
        <time datetime={first}>{first}</time>
        {e.count > 1 && (
          <>
            {" – "}
            <time datetime={new Date(e.lastAt).toISOString()}>
              {new Date(e.lastAt).toISOString()}
            </time>
          </>
        )}
      </td>
      <td data-label="User">
        {e.user} <span class="audit-role">({e.role})</span>
      </td>
      <td data-label="Client" class="audit-client">{e.client}</td>
      <td data-label="Host" class="audit-host">{e.host ?? ""}</td>
      <td data-label="Domain" class="audit-long audit-domain">{e.domain ?? ""}</td>
      <td data-label="Action" class="audit-long">{e.action}</td>
      <td data-label="virsh command" class="audit-long">
        {e.argv && <code class="audit-command">{displayCommandLine(uri, e.argv)}</code>}
      </td>
      <td data-label="Result" class="audit-result">
        {e.result}
        {e.count > 1 && <span class="audit-count">× {e.count}</span>}
      </td>
      <td data-label="Message" class="audit-long">{e.message}</td>
    </tr>
  );
}
