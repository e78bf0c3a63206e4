/**
 * The audit log page: filters, a table of entries, export links. Pure.
 *
 * @module
 */
import { AUDIT_RESULTS, type AuditEntry } from "../server/audit/log.ts";
import { Layout, type LayoutSession } from "./layout.tsx";

/** The filter as typed into the form. */
export interface AuditFilterValues {
  user?: string;
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
            Action <input name="action" value={f.action ?? ""} />
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
              <th>Role</th>
              <th>Client</th>
              <th>Action</th>
              <th>virsh argv</th>
              <th>Result</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {props.entries.map((e) => (
              <tr class={`audit-${e.result}`}>
                <td>{new Date(e.at).toISOString()}</td>
                <td>{e.user}</td>
                <td>{e.role}</td>
                <td>{e.client}</td>
                <td>{e.action}</td>
                <td>
                  <code>{e.argv ? JSON.stringify(e.argv) : ""}</code>
                </td>
                <td>{e.result}</td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}
