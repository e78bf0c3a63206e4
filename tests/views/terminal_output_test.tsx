/** The terminal panel and its output fragments are pure JSX: escaped data, no inline script. */
import { assertNotMatch, assertStringIncludes } from "@std/assert";
import { TerminalPanel } from "../../views/terminal.tsx";
import { RefusedLine, RunResult } from "../../views/terminal_output.tsx";

Deno.test("the panel: no inline script, style or hx-on; history is escaped data; posts to run", () => {
  const html = String(
    <TerminalPanel uri="qemu:///system" history={[`x"><script>alert(1)</script>`]} />,
  );
  assertNotMatch(html, /<script|style=|hx-on|onclick/i);
  assertStringIncludes(html, 'hx-post="/ui/terminal/run"');
  assertStringIncludes(html, 'hx-target="#terminal-output"');
  assertStringIncludes(html, 'name="command"');
  assertStringIncludes(html, "&lt;script&gt;");
  assertStringIncludes(html, "virsh -c qemu:///system");
});

Deno.test("output fragments escape what virsh printed and the line as typed", () => {
  const ran = String(
    <RunResult commandLine="virsh list" stdout="<b>x</b>" stderr="<script>y</script>" code={0} />,
  );
  assertNotMatch(ran, /<b>|<script/);
  assertStringIncludes(ran, "&lt;b&gt;x&lt;/b&gt;");
  const refused = String(<RefusedLine line={`list "<img onerror=x>"`} reason="<i>no</i>" />);
  assertNotMatch(refused, /<img|<i>/);
  assertStringIncludes(refused, "&lt;img onerror=x&gt;");
});
