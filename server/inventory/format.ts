/**
 * How numbers and states read to a person.
 *
 * @module
 */
import type { DomainState } from "./model.ts";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** `1536` → `1.5 KiB`; null → `—`. Binary units, at most three significant digits. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits).replace(/\.?0+$/, "")} ${UNITS[unit]}`;
}

/** Seconds as `1h 02m`, `3m 05s` or `42s`; null → `—`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return "—";
  }
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m ${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

/** virDomainState numbers (domstats `state.state`) as names. */
export function domainStateName(state: number | null): DomainState {
  switch (state) {
    case 1:
      return "running";
    case 2:
      return "blocked";
    case 3:
      return "paused";
    case 4:
      return "shutdown";
    case 5:
      return "shut off";
    case 6:
      return "crashed";
    case 7:
      return "pmsuspended";
    default:
      return "no state";
  }
}
