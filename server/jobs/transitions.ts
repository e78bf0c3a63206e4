/**
 * The moments of a job's life others may want to hear about — it started (begun by an operation
 * and confirmed, or adopted), it became ready, it ended — as the {@link JobBook} reports them.
 * Metrics count the ends and webhooks tell receivers; both listen here instead of being called
 * from every place a transition happens.
 *
 * @module
 */
import type { Job, JobPhase } from "./model.ts";

/** Which moment: see the module doc. */
export type JobTransitionKind = "started" | "ready" | "ended";

/** One transition, with the job as the API shows it right after it. */
export interface JobTransition {
  kind: JobTransitionKind;
  job: Job;
  /** The phase before (null for `started`); an `ended` from a terminal phase is a correction. */
  from: JobPhase | null;
}

/** A listener of {@link JobTransition}s. */
export type JobTransitionListener = (transition: JobTransition) => void;

/** A set of listeners; a listener that throws does not stop the others or the transition. */
export class TransitionListeners {
  readonly #listeners = new Set<JobTransitionListener>();

  /** Adds `listener`; returns the function that removes it. */
  add(listener: JobTransitionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells every listener, synchronously and in order of subscription. */
  emit(transition: JobTransition): void {
    for (const listener of this.#listeners) {
      try {
        listener(transition);
      } catch (e) {
        console.error("job transition listener failed:", e);
      }
    }
  }
}
