/**
 * How numbers read to a person: sizes, rates, percentages, durations (view formatting, used by
 * the JSX views).
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/**
 * `1536` → `1.5 KiB`, `104857600` → `100 MiB`; null → `—`. Binary units, at most three
 * significant digits below 1000 of a unit. Only zeros after the decimal point are dropped (a
 * whole 100 stays 100), and a value that rounds up to 1024 of a unit moves to the next unit.
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  const sign = bytes < 0 ? "-" : "";
  let value = Math.abs(bytes);
  if (Math.round(value) < 1024) return `${sign}${Math.round(value)} B`;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  let text = fixed(value);
  // 1023.96 KiB would print as "1024 KiB": say 1 MiB instead.
  if (Number(text) >= 1024 && unit < UNITS.length - 1) text = fixed(value / 1024), unit++;
  return `${sign}${text} ${UNITS[unit]}`;
}

/** Three significant digits (no decimals from 100 up), trailing decimal zeros dropped. */
function fixed(value: number): string {
  const digits = value >= 99.5 ? 0 : value >= 9.995 ? 1 : 2;
  const text = value.toFixed(digits);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** A rate in bytes per second as `100 MiB/s`; null → `—`. */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  const text = formatBytes(bytesPerSecond);
  return text === "—" ? text : `${text}/s`;
}

/**
 * A percentage floored to one decimal, so nothing reads 100 % before it is done: `37.9 %`,
 * `99.9 %` for 99.95, `100 %` only at 100 (and above, clamped); null → `—`.
 */
export function formatPercent(percent: number | null | undefined): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return "—";
  const p = Math.min(100, Math.max(0, percent));
  if (p === 100) return "100 %";
  // Round away float noise (0.3 * 10 = 2.9999999999999996) before flooring.
  const tenths = Math.floor(Math.round(p * 1000) / 100);
  return `${(tenths / 10).toFixed(1)} %`;
}

/**
 * Seconds as `1h 02m`, `3m 05s` or `42s`; null or negative → `—`. Rounded to the unit shown:
 * 59.6 s reads `1m 00s`, 3599.5 s `1h 00m`, 3659 s `1h 01m`.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return "—";
  }
  const s = Math.round(seconds);
  if (s >= 3600) {
    const minutes = Math.round(seconds / 60);
    const h = Math.floor(minutes / 60);
    return `${h}h ${String(minutes % 60).padStart(2, "0")}m`;
  }
  const m = Math.floor(s / 60);
  const r = s % 60;
  if (m > 0) return `${m}m ${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}
