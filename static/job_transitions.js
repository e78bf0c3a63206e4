// @ts-check
/**
 * When a job's phase on the page deserves a browser notification: the pure part of
 * `notify.js`, tested under Deno (tests/views/job_transitions_test.ts). No DOM, no storage.
 *
 * A job is one run on one disk: `key` (`uuid/target`) plus `started` (a disk has several jobs
 * over time). A notification goes out the first time the page shows a job in a phase worth one,
 * never for what the page showed when it loaded, and only for watched jobs (`key@started`, what
 * "Notify me" records) unless "any job" is chosen. Several elements may show the same job (card, strip, feed), some of them a poll
 * behind: each phase of a job is told once.
 *
 * @module
 */

/** Phases worth a notification, with the words after the job's name. */
export const NOTIFY_PHASES = Object.freeze({
  ready: "is ready: synchronized, waiting for you to finish it",
  completed: "completed",
  pivoted: "pivoted: the domain runs on the new image",
  "kept-copy": "ended: the copy was kept, the domain stays on its source",
  failed: "failed",
  interrupted: "was interrupted: the domain stopped",
  unknown: "ended, outcome unknown",
  canceled: "was canceled",
});

/** Phases after which the job is over (it is no longer watched). */
const ENDED = new Set([
  "completed",
  "pivoted",
  "kept-copy",
  "failed",
  "interrupted",
  "unknown",
  "canceled",
]);

const TYPE_WORDS = /** @type {Record<string, string>} */ ({
  copy: "Copy",
  pull: "Pull",
  commit: "Commit",
  "active-commit": "Active commit",
  backup: "Backup",
});

/**
 * @typedef {object} JobObservation A job as one element of the page shows it.
 * @property {string} key `uuid/target`
 * @property {string} started when the job started (ISO)
 * @property {string} phase
 * @property {string} domain
 * @property {string} target
 * @property {string} type
 */

/**
 * @typedef {object} JobNotification
 * @property {string} key
 * @property {string} phase
 * @property {string} title
 * @property {string} body
 * @property {string} tag one per job and phase, so several tabs show it once
 */

/**
 * @typedef {object} Choices
 * @property {readonly string[]} watched jobs (`uuid/target@started`) the operator asked about
 * @property {boolean} any notify for every job
 * @property {boolean} initial the page just loaded: learn, tell nothing
 */

/**
 * @typedef {object} Detection
 * @property {Record<string, string[]>} seen the phases seen per job, to pass next time
 * @property {JobNotification[]} notifications
 * @property {string[]} ended watched jobs that ended (stop watching them)
 */

/**
 * Compares what the page shows now with what it showed before.
 * @param {Readonly<Record<string, readonly string[]>>} seen phases seen per job (`key@started`)
 * @param {readonly JobObservation[]} observations
 * @param {Choices} choices
 * @returns {Detection}
 */
export function detectTransitions(seen, observations, choices) {
  /** @type {Record<string, string[]>} */
  const next = {};
  for (const [job, phases] of Object.entries(seen)) next[job] = [...phases];
  /** @type {JobNotification[]} */
  const notifications = [];
  /** @type {string[]} */
  const ended = [];
  for (const o of observations) {
    const job = `${o.key}@${o.started}`;
    const phases = next[job] ??= [];
    if (phases.includes(o.phase)) continue;
    phases.push(o.phase);
    if (choices.initial || !Object.hasOwn(NOTIFY_PHASES, o.phase)) continue;
    const watched = choices.watched.includes(job);
    if (!watched && !choices.any) continue;
    notifications.push(notificationOf(o));
    if (watched && ENDED.has(o.phase) && !ended.includes(job)) ended.push(job);
  }
  return { seen: next, notifications, ended };
}

/**
 * The notification for a job reaching its phase.
 * @param {JobObservation} o
 * @returns {JobNotification}
 */
export function notificationOf(o) {
  const what = TYPE_WORDS[o.type] ?? "Block job";
  const words = NOTIFY_PHASES[/** @type {keyof typeof NOTIFY_PHASES} */ (o.phase)] ?? o.phase;
  return {
    key: o.key,
    phase: o.phase,
    title: `${what} on ${o.domain} ${o.target} ${words.split(":")[0]}`,
    body: `${what} of disk ${o.target} of domain ${o.domain} ${words}.`,
    tag: `blockboard:${o.key}@${o.started}:${o.phase}`,
  };
}
