// Browser notifications for block jobs (views/job_notify.tsx draws what this reads). No inline
// script: a module file from our own origin, as the CSP wants.
// - "Notify me" on a job (`uuid/target@started`) and "Notify for any job" are kept in
//   localStorage. Permission is asked on those clicks only, never on load.
// - After every htmx swap (the job's own poll, the jobs strip, the change feed) the page's
//   `[data-job-key]` elements are read and handed to detectTransitions (job_transitions.js); each
//   answer it gives becomes a `new Notification(...)`, also while the tab is in the background.
import { detectTransitions } from "./job_transitions.js";

const ANY_KEY = "blockboard.notify.any";
const WATCH_KEY = "blockboard.notify.watched";
const supported = "Notification" in globalThis;

/** @returns {string[]} */
function watched() {
  try {
    const list = JSON.parse(localStorage.getItem(WATCH_KEY) || "[]");
    return Array.isArray(list) ? list.filter((k) => typeof k === "string") : [];
  } catch {
    return [];
  }
}

/** Keeps the last 50: a job whose end this browser never saw stays until pushed out. */
function setWatched(list) {
  localStorage.setItem(WATCH_KEY, JSON.stringify([...new Set(list)].slice(-50)));
}

function anyJob() {
  return localStorage.getItem(ANY_KEY) === "1";
}

/** True once notifications may be shown; asks the browser only when still undecided. */
async function permitted() {
  if (Notification.permission === "granted") return true;
  if (Notification.permission === "denied") return false;
  return (await Notification.requestPermission()) === "granted";
}

/** The buttons say what is chosen (they are redrawn by polls, so after every swap). */
function syncButtons() {
  if (!supported) return;
  const list = watched();
  const blocked = Notification.permission === "denied";
  for (const button of document.querySelectorAll("[data-notify-job]")) {
    const on = list.includes(button.getAttribute("data-notify-job")) && !blocked;
    button.hidden = false;
    button.setAttribute("aria-pressed", String(on));
    button.textContent = blocked ? "Notifications blocked" : on ? "Notifying" : "Notify me";
  }
  for (const button of document.querySelectorAll("[data-notify-all]")) {
    const on = anyJob() && !blocked;
    button.hidden = false;
    button.setAttribute("aria-pressed", String(on));
    button.textContent = blocked
      ? "Notifications blocked"
      : on
      ? "Notifying for any job"
      : "Notify for any job";
  }
}

let seen = {};
let loaded = false;

function observations() {
  return [...document.querySelectorAll("[data-job-key][data-job-phase]")].map((el) => ({
    key: el.getAttribute("data-job-key"),
    started: el.getAttribute("data-job-started") || "",
    phase: el.getAttribute("data-job-phase"),
    domain: el.getAttribute("data-job-domain") || "",
    target: el.getAttribute("data-job-target") || "",
    type: el.getAttribute("data-job-type") || "",
  }));
}

function scan() {
  const result = detectTransitions(seen, observations(), {
    watched: watched(),
    any: anyJob(),
    initial: !loaded,
  });
  loaded = true;
  seen = result.seen;
  if (supported && Notification.permission === "granted") {
    for (const n of result.notifications) {
      const shown = new Notification(n.title, { body: n.body, tag: n.tag });
      shown.onclick = () => {
        globalThis.focus();
        shown.close();
      };
    }
  }
  if (result.ended.length > 0) setWatched(watched().filter((k) => !result.ended.includes(k)));
  syncButtons();
}

let pending = false;
function scheduleScan() {
  if (pending) return;
  pending = true;
  setTimeout(() => {
    pending = false;
    scan();
  }, 0);
}

document.addEventListener("click", async (event) => {
  if (!supported || !(event.target instanceof Element)) return;
  const job = event.target.closest("[data-notify-job]");
  const all = event.target.closest("[data-notify-all]");
  if (!job && !all) return;
  if (job) {
    const key = job.getAttribute("data-notify-job");
    const list = watched();
    if (list.includes(key)) setWatched(list.filter((k) => k !== key));
    else if (await permitted()) setWatched([...list, key]);
  } else if (anyJob()) {
    localStorage.setItem(ANY_KEY, "0");
  } else if (await permitted()) {
    localStorage.setItem(ANY_KEY, "1");
  }
  syncButtons();
});

// Another tab changed the choices.
globalThis.addEventListener("storage", syncButtons);
for (const name of ["htmx:after:swap", "htmx:after:settle", "htmx:after:process"]) {
  document.addEventListener(name, scheduleScan);
}
scan();
