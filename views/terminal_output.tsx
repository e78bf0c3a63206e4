/**
 * HTML fragments the panel's output pane receives: a finished command, a refused line, a started
 * stream, and the echo of dashboard actions. Every value is text (JSX escapes it).
 *
 * @module
 */
import { foldCarriageReturns } from "../server/terminal/progress.ts";
import { hostHref } from "./host_base.ts";
import type { ActionEcho } from "../server/routes/terminal/action_log.ts";

/** Where the terminal panel routes are mounted; URLs in fragments point below it. */
export const TERMINAL_UI_BASE = "/ui/terminal";

function ExitLine(props: { code: number | null; text?: string }) {
  const cls = props.code === 0 ? "term-exit term-exit-ok" : "term-exit term-exit-bad";
  return <div class={cls}>{props.text ?? `exit ${props.code ?? "?"}`}</div>;
}

function CommandLine(props: { commandLine: string; prompt?: string }) {
  return (
    <div class="term-cmd">
      <span class="term-ps">{props.prompt ?? "$"}</span> <code>{props.commandLine}</code>
    </div>
  );
}

/** A command that ran to its end: the line as run, stdout, stderr (progress folded), exit code. */
export function RunResult(
  props: { commandLine: string; stdout: string; stderr: string; code: number },
) {
  const stderr = foldCarriageReturns(props.stderr).join("\n");
  return (
    <div class="term-entry" data-exit={String(props.code)}>
      <CommandLine commandLine={props.commandLine} />
      {props.stdout !== "" && <pre class="term-out">{props.stdout}</pre>}
      {stderr !== "" && <pre class="term-err">{stderr}</pre>}
      <ExitLine code={props.code} />
    </div>
  );
}

/** A line that was refused (nothing ran): the line as typed and the reason. */
export function RefusedLine(props: { line: string; reason: string }) {
  return (
    <div class="term-entry term-refused" data-exit="refused">
      <CommandLine commandLine={props.line} prompt="refused$" />
      <pre class="term-err">{props.reason}</pre>
    </div>
  );
}

/** A command virsh could not run at all (libvirt down, deadline). */
export function FailedRun(props: { commandLine: string; message: string }) {
  return (
    <div class="term-entry" data-exit="failed">
      <CommandLine commandLine={props.commandLine} />
      <pre class="term-err">{props.message}</pre>
      <ExitLine code={null} text="not run to the end" />
    </div>
  );
}

/**
 * A started stream: terminal.js connects `data-stream-url` with EventSource and fills
 * `.term-live`; the Stop button posts through htmx (so it carries the CSRF header).
 */
export function StreamStart(props: { commandLine: string; id: string }) {
  return (
    <div
      class="term-entry term-streaming"
      data-stream-url={hostHref(`${TERMINAL_UI_BASE}/stream/${props.id}`)}
      data-session={props.id}
    >
      <CommandLine commandLine={props.commandLine} />
      <div class="term-live"></div>
      <button
        type="button"
        class="term-stop"
        hx-post={hostHref(`${TERMINAL_UI_BASE}/stop/${props.id}`)}
        hx-swap="none"
      >
        Stop
      </button>
    </div>
  );
}

/** Echoes of dashboard actions after the pane's last seen one; `data-next` is the new cursor. */
export function ActionEchoes(props: { entries: ActionEcho[]; next: number }) {
  return (
    <div class="term-actions" data-next={String(props.next)}>
      {props.entries.map((e) => (
        <div class="term-entry term-action" data-seq={String(e.seq)}>
          <CommandLine commandLine={e.commandLine} prompt="dashboard$" />
          {e.stderrHead.length > 0 && <pre class="term-err">{e.stderrHead.join("\n")}</pre>}
          <ExitLine code={e.code} />
        </div>
      ))}
    </div>
  );
}
