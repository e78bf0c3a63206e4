// blockboard's terminal panel: keyboard and history, live output of streaming commands
// (EventSource), the echo of dashboard actions, and the live event log. Same-origin file: the
// CSP allows no inline script. Every server value is put in the page as text, never as HTML,
// except the action echoes, which are our own server-escaped fragments.
"use strict";

(function () {
  const ACTIONS_POLL_MS = 2000;

  const panel = document.querySelector("[data-terminal]");
  if (!panel) return;
  // The server's own values, rendered on the panel (views/terminal.tsx): never copied here.
  const BASE = panel.dataset.base;
  const HISTORY_MAX = Number(panel.dataset.historyMax);
  const EVENT_LINES_MAX = Number(panel.dataset.eventLinesMax);
  const output = panel.querySelector(".term-output");
  const form = panel.querySelector(".term-form");
  const input = panel.querySelector(".term-input");
  const stopCurrent = panel.querySelector(".term-stop-current");
  const clearButton = panel.querySelector(".term-clear");
  const eventsList = panel.querySelector(".term-events-list");
  const eventsFilter = panel.querySelector(".term-events-filter");

  // ---- output pane ------------------------------------------------------------------------
  // A pane that was scrolled to (near) its end follows new lines; one scrolled up stays put.
  function nearBottom(pane = output) {
    return pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
  }
  function scrollDown(pane = output) {
    pane.scrollTop = pane.scrollHeight;
  }

  /** A server-sent event's JSON data, or null when it is not JSON (a message is then skipped). */
  function messageOf(ev) {
    try {
      return JSON.parse(ev.data);
    } catch {
      return null;
    }
  }

  function div(cls, text) {
    const el = document.createElement("div");
    el.className = cls;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // ---- history (↑/↓) ----------------------------------------------------------------------
  let history = [];
  let historyPos = 0; // == history.length: the fresh line
  let draft = "";
  try {
    const given = panel.getAttribute("data-history");
    if (given) history = JSON.parse(given).filter((l) => typeof l === "string");
  } catch { /* ignore a bad attribute */ }
  historyPos = history.length;
  if (!panel.hasAttribute("data-history")) {
    fetch(`${BASE}/history`, { headers: { accept: "application/json" } })
      .then((r) => r.ok ? r.json() : null)
      .then((body) => {
        if (body && Array.isArray(body.history) && history.length === 0) {
          history = body.history.filter((l) => typeof l === "string");
          historyPos = history.length;
        }
      })
      .catch(() => {});
  }

  function remember(line) {
    if (line.trim() === "") return;
    if (history[history.length - 1] !== line) history.push(line);
    if (history.length > HISTORY_MAX) history.shift();
    historyPos = history.length;
    draft = "";
  }

  function showHistory(pos) {
    if (pos < 0 || pos > history.length) return;
    if (historyPos === history.length) draft = input.value;
    historyPos = pos;
    input.value = pos === history.length ? draft : history[pos];
    input.setSelectionRange(input.value.length, input.value.length);
  }

  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      if (input.value.trim() === "") {
        ev.preventDefault();
        return;
      }
      remember(input.value);
    } else if (ev.key === "ArrowUp") {
      ev.preventDefault();
      showHistory(historyPos - 1);
    } else if (ev.key === "ArrowDown") {
      ev.preventDefault();
      showHistory(historyPos + 1);
    } else if ((ev.key === "c" || ev.key === "C") && ev.ctrlKey && !ev.shiftKey) {
      // Ctrl-C copies a selection as usual; with none it stops the streaming command.
      if (input.selectionStart !== input.selectionEnd) return;
      if (runningEntry()) {
        ev.preventDefault();
        stopRunning();
      }
    }
  });
  form.addEventListener("submit", () => remember(input.value));
  form.addEventListener("htmx:after:request", () => {
    input.value = "";
    historyPos = history.length;
    scrollDown();
  });

  panel.addEventListener("toggle", () => {
    if (panel.open) {
      input.focus();
      scrollDown();
    }
  });

  // ---- streaming commands -----------------------------------------------------------------
  function runningEntry() {
    const all = output.querySelectorAll(".term-streaming");
    return all.length ? all[all.length - 1] : null;
  }
  function stopRunning() {
    const entry = runningEntry();
    const button = entry && entry.querySelector(".term-stop");
    if (button) button.click();
  }
  function updateStopButton() {
    stopCurrent.hidden = runningEntry() === null;
  }
  stopCurrent.addEventListener("click", stopRunning);

  function connectStream(entry) {
    if (entry.dataset.connected) return;
    entry.dataset.connected = "1";
    const live = entry.querySelector(".term-live");
    const current = { stdout: null, stderr: null };
    const source = new EventSource(entry.dataset.streamUrl);
    const finish = (text, ok) => {
      source.close();
      entry.classList.remove("term-streaming");
      const stop = entry.querySelector(".term-stop");
      if (stop) stop.hidden = true;
      entry.appendChild(div(ok ? "term-exit term-exit-ok" : "term-exit term-exit-bad", text));
      updateStopButton();
    };
    source.addEventListener("out", (ev) => {
      const stick = nearBottom();
      const msg = messageOf(ev);
      if (!msg) return;
      if (msg.type === "line") {
        const el = current[msg.stream];
        if (el) {
          el.textContent = msg.text;
          el.classList.remove("term-progress");
          current[msg.stream] = null;
        } else {
          live.appendChild(div(`term-line term-${msg.stream}`, msg.text));
        }
      } else if (msg.type === "progress") {
        let el = current[msg.stream];
        if (!el) {
          el = div(`term-line term-${msg.stream} term-progress`);
          live.appendChild(el);
          current[msg.stream] = el;
        }
        el.textContent = msg.text;
      } else if (msg.type === "exit") {
        entry.dataset.exit = msg.code === null ? "killed" : String(msg.code);
        const text = msg.stopped || msg.code === null ? msg.message : `exit ${msg.code}`;
        finish(text, msg.code === 0);
      }
      if (stick) scrollDown();
    });
    source.addEventListener("error", () => {
      // EventSource retries by itself after a drop; CLOSED means the server refused.
      if (source.readyState === EventSource.CLOSED && entry.classList.contains("term-streaming")) {
        finish("the output stream was refused or lost (the command may still run)", false);
      }
    });
    updateStopButton();
  }

  function connectAll(root) {
    if (root.matches && root.matches(".term-streaming[data-stream-url]")) connectStream(root);
    if (root.querySelectorAll) {
      root.querySelectorAll(".term-streaming[data-stream-url]").forEach(connectStream);
    }
  }
  new MutationObserver((records) => {
    for (const r of records) r.addedNodes.forEach((n) => n.nodeType === 1 && connectAll(n));
    scrollDown();
  }).observe(output, { childList: true });
  connectAll(output);

  clearButton.addEventListener("click", () => {
    for (const el of [...output.children]) {
      if (!el.classList.contains("term-streaming")) el.remove();
    }
    input.focus();
  });

  // ---- echo of the dashboard's own actions ------------------------------------------------
  let actionsCursor = null;
  async function pollActions() {
    const url = actionsCursor === null
      ? `${BASE}/actions`
      : `${BASE}/actions?after=${encodeURIComponent(actionsCursor)}`;
    try {
      const r = await fetch(url, { headers: { accept: "text/html" } });
      if (r.status === 401 || r.status === 403) return; // signed out: stop polling
      if (r.ok) {
        const tpl = document.createElement("template");
        tpl.innerHTML = await r.text();
        const box = tpl.content.querySelector(".term-actions");
        if (box) {
          const next = Number(box.getAttribute("data-next"));
          const entries = [...box.querySelectorAll(".term-action")];
          if (entries.length) {
            const stick = nearBottom();
            for (const e of entries) output.appendChild(document.importNode(e, true));
            if (stick) scrollDown();
          }
          if (Number.isFinite(next)) actionsCursor = next;
        }
      }
    } catch { /* the server is away; try again */ }
    setTimeout(pollActions, ACTIONS_POLL_MS);
  }
  pollActions();

  // ---- live event log ---------------------------------------------------------------------
  function matchesFilter(li) {
    const f = eventsFilter.value.trim().toLowerCase();
    if (f === "") return true;
    return (li.dataset.domain || "").toLowerCase().includes(f);
  }
  eventsFilter.addEventListener("input", () => {
    for (const li of eventsList.children) li.hidden = !matchesFilter(li);
  });

  function addEventLine(ev, live) {
    const e = messageOf(ev);
    if (!e) return;
    const stick = nearBottom(eventsList);
    const li = document.createElement("li");
    li.textContent = e.line;
    if (e.domain) li.dataset.domain = e.domain;
    if (e.blockJob) {
      li.className = `term-event-job term-event-${e.blockJob.status}`;
    }
    li.hidden = !matchesFilter(li);
    eventsList.appendChild(li);
    while (eventsList.children.length > EVENT_LINES_MAX) eventsList.firstElementChild.remove();
    if (stick) scrollDown(eventsList);
    if (live && e.blockJob && e.domain) refreshJobCard(e);
  }

  // A block job changed: that disk's job card (views/job.tsx: data-domain, data-target) refreshes
  // now instead of at its next poll; the other disks' cards are left alone.
  function refreshJobCard(e) {
    if (typeof htmx === "undefined") return;
    document.querySelectorAll("[data-refresh-on-event]").forEach((el) => {
      if (el.getAttribute("data-domain") !== e.domain) return;
      if (el.getAttribute("data-target") !== e.blockJob.disk) return;
      htmx.trigger(el, "bb:refresh");
    });
  }

  const events = new EventSource(`${BASE}/events`);
  events.addEventListener("backlog", (ev) => addEventLine(ev, false));
  events.addEventListener("line", (ev) => addEventLine(ev, true));
})();
