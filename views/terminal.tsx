/**
 * The terminal panel at the bottom of every page: output pane, input line with history, Run,
 * Stop (while a command streams), Clear, and the live event log. Behaviour lives in
 * `/static/terminal.js` (no inline script: the CSP allows only same-origin files). Pure.
 *
 * @module
 */
import { MAX_LINE_LENGTH } from "../server/terminal/tokenize.ts";
import { HISTORY_SIZE } from "../server/routes/terminal/history.ts";
import { EVENT_LOG_SIZE } from "../server/routes/terminal/event_log.ts";
import { TERMINAL_UI_BASE } from "./terminal_output.tsx";
import { hostChoices, hostHref } from "./host_base.ts";

/** Props of {@link TerminalPanel}. */
export interface TerminalPanelProps {
  /** libvirt connection URI the commands run against (shown in the prompt). */
  uri: string;
  /** The user's earlier lines, oldest first; without it terminal.js fetches them. */
  history?: string[];
}

/**
 * The collapsible terminal panel. The server values terminal.js needs (routes' base path, history
 * and event-log sizes) are rendered as data attributes, so the script never copies them.
 */
export function TerminalPanel(props: TerminalPanelProps) {
  const base = hostHref(TERMINAL_UI_BASE);
  const choices = hostChoices();
  return (
    <details
      class="terminal"
      id="terminal"
      data-terminal
      data-base={base}
      data-history-max={String(HISTORY_SIZE)}
      data-event-lines-max={String(EVENT_LOG_SIZE)}
      data-history={props.history ? JSON.stringify(props.history) : undefined}
    >
      <summary class="term-summary">
        Terminal <span class="term-summary-uri">virsh -c {props.uri}</span>
      </summary>
      <div class="term-body">
        <div class="term-main">
          {choices.length > 1
            ? (
              <nav class="term-hosts" aria-label="Terminal host">
                Run on: {choices.map((h) => (
                  <a
                    href={`${h.href}#terminal`}
                    data-host={h.name}
                    title={`virsh -c ${h.uri}`}
                    aria-current={h.uri === props.uri ? "true" : undefined}
                  >
                    {h.name}
                  </a>
                ))}
              </nav>
            )
            : null}
          <div
            class="term-output"
            id="terminal-output"
            role="log"
            aria-live="polite"
            aria-label="Terminal output"
            tabindex={0}
          >
          </div>
          <form
            class="term-form"
            hx-post={`${base}/run`}
            hx-target="#terminal-output"
            hx-swap="beforeend"
            autocomplete="off"
          >
            <label class="term-prompt" for="terminal-input">virsh&gt;</label>
            <input
              class="term-input"
              id="terminal-input"
              name="command"
              type="text"
              spellcheck={false}
              autocapitalize="off"
              maxlength={MAX_LINE_LENGTH}
              placeholder="domblklist --domain NAME   (Enter runs, ↑/↓ history, Ctrl-C stops)"
              aria-label="virsh command"
            />
            <button type="submit" class="term-run">Run</button>
            <button type="button" class="term-stop-current" hidden>Stop</button>
            <button type="button" class="term-clear">Clear</button>
          </form>
        </div>
        <section class="term-events" aria-label="libvirt events">
          <div class="term-events-head">
            <span>Events</span>
            <input
              class="term-events-filter"
              type="search"
              placeholder="filter by domain"
              aria-label="Filter events by domain"
            />
          </div>
          {/* Focusable so the list scrolls from the keyboard; a log, so new lines are announced. */}
          <ol class="term-events-list" tabindex={0} role="log" aria-label="libvirt event log">
          </ol>
        </section>
      </div>
    </details>
  );
}
