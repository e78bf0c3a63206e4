/**
 * The dashboard's search and filters: a plain GET form (`/?q=&state=&job=`) that works without
 * JavaScript; with htmx, typing or choosing asks for the list alone, swaps it in and pushes the
 * URL, so the page never reloads. Pure.
 *
 * @module
 */
import { hostHref } from "./host_base.ts";
import {
  type DashboardQuery,
  DOMAIN_STATES,
  MAX_QUERY_LENGTH,
} from "../server/inventory/filter.ts";
import { RESULTS_ID } from "./domain_list.tsx";

/** The filter form, showing `query`. */
export function DomainFilters({ query }: { query: DashboardQuery }) {
  return (
    <form
      class="domain-filters"
      method="get"
      action={hostHref("/")}
      role="search"
      hx-get={hostHref("/")}
      hx-target={`#${RESULTS_ID}`}
      hx-swap="outerHTML"
      hx-trigger="submit, input delay:250ms"
      hx-sync="replace"
      hx-push-url="true"
    >
      <label>
        Name contains
        <input
          type="search"
          name="q"
          value={query.q}
          maxlength={MAX_QUERY_LENGTH}
          autocomplete="off"
          spellcheck={false}
        />
      </label>
      <label>
        State
        <select name="state">
          <option value="" selected={query.state === ""}>any</option>
          {DOMAIN_STATES.map((s) => <option value={s} selected={query.state === s}>{s}</option>)}
        </select>
      </label>
      <label>
        Block job
        <select name="job">
          <option value="" selected={query.job === ""}>any</option>
          <option value="yes" selected={query.job === "yes"}>running one</option>
          <option value="no" selected={query.job === "no"}>none</option>
        </select>
      </label>
      <button type="submit" class="btn">Filter</button>
    </form>
  );
}
