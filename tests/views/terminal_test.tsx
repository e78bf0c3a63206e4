/** The terminal panel carries the server's values terminal.js needs, so the script copies none. */
import { assert, assertStringIncludes } from "@std/assert";
import { TerminalPanel } from "../../views/terminal.tsx";
import { MAX_LINE_LENGTH } from "../../server/terminal/tokenize.ts";
import { HISTORY_SIZE } from "../../server/routes/terminal/history.ts";
import { EVENT_LOG_SIZE } from "../../server/routes/terminal/event_log.ts";

Deno.test("TerminalPanel: base path, history and event-log sizes, line limit from the server", () => {
  const html = String(<TerminalPanel uri="qemu:///system" />);
  assertStringIncludes(html, `data-base="/ui/terminal"`);
  assertStringIncludes(html, `data-history-max="${HISTORY_SIZE}"`);
  assertStringIncludes(html, `data-event-lines-max="${EVENT_LOG_SIZE}"`);
  assertStringIncludes(html, `hx-post="/ui/terminal/run"`);
  assertStringIncludes(html, `maxlength="${MAX_LINE_LENGTH}"`);
});

Deno.test("terminal.js reads those values from the panel and hard-codes none of them", async () => {
  const js = await Deno.readTextFile(new URL("../../static/terminal.js", import.meta.url));
  for (const attr of ["dataset.base", "dataset.historyMax", "dataset.eventLinesMax"]) {
    assertStringIncludes(js, attr);
  }
  assert(!js.includes('"/ui/terminal"'), "the base path is copied into terminal.js");
  assert(!/\b(100|200)\b/.test(js), "a server size is copied into terminal.js");
});
