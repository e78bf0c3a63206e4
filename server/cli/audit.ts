/**
 * Audit-log retention from the host's shell:
 *
 * ```
 * deno task audit prune --older-than 90d [--data-dir DIR]
 * ```
 *
 * Removes entries whose last time is more than the given number of days ago; the removal itself is
 * recorded in the audit log (by the database, see `server/audit/retention.ts`). Exit codes: 0
 * done, 1 refused by the database, 2 bad usage.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { DEFAULT_DATA_DIR, openDatabase } from "../db.ts";
import { MIN_RETENTION_DAYS, pruneAudit } from "../audit/retention.ts";
import { DATA_DIR_VARIABLE } from "./user.ts";
import { quoteWord } from "../virsh/display.ts";

/** Usage text, printed with `--help` and after usage errors. */
export const AUDIT_USAGE = `Usage: deno task audit prune --older-than DAYSd [--data-dir DIR]

  prune --older-than 90d   remove audit entries last seen more than 90 days ago (at least
                           ${MIN_RETENTION_DAYS}d); the prune is itself recorded in the audit log

The data directory is --data-dir, else $${DATA_DIR_VARIABLE}, else ${DEFAULT_DATA_DIR}.`;

/** Where the CLI reads and writes; replaced in tests. */
export interface AuditCliIo {
  out(line: string): void;
  err(line: string): void;
  env(name: string): string | undefined;
  /** Milliseconds since the epoch. */
  now(): number;
  /** This machine's name, recorded as the prune's client. */
  hostname(): string;
}

const DAY = 86_400_000;

const olderThanSchema = z.string().regex(/^\d{1,6}d$/, "--older-than takes days, e.g. 90d")
  .transform((s) => Number(s.slice(0, -1)))
  .refine(
    (days) => days >= MIN_RETENTION_DAYS,
    `--older-than must be at least ${MIN_RETENTION_DAYS}d`,
  );

/** Runs the CLI with `args` (without the program name); resolves to the exit code. */
export function runAuditCli(args: string[], io: AuditCliIo): number {
  let values: { "older-than"?: string; "data-dir"?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        "older-than": { type: "string" },
        "data-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  if (values.help) {
    io.out(AUDIT_USAGE);
    return 0;
  }
  if (positionals.length === 0) return usage(io, "missing command");
  if (positionals[0] !== "prune") {
    return usage(io, `unknown command ${JSON.stringify(positionals[0])}`);
  }
  if (positionals.length > 1) {
    return usage(io, `unexpected argument ${JSON.stringify(positionals[1])}`);
  }
  if (values["older-than"] === undefined) return usage(io, "missing --older-than");
  const days = olderThanSchema.safeParse(values["older-than"]);
  if (!days.success) return usage(io, days.error.issues[0].message);
  if (values["data-dir"] !== undefined && values["data-dir"].trim() === "") {
    return usage(io, "--data-dir needs a directory");
  }
  const dataDir = values["data-dir"] || io.env(DATA_DIR_VARIABLE) || DEFAULT_DATA_DIR;

  const now = io.now();
  const cutoff = now - days.data * DAY;
  const db = openDatabase(dataDir);
  try {
    const removed = pruneAudit(db, {
      cutoff,
      at: now,
      actor: io.env("SUDO_USER") || io.env("USER") || "unknown",
      client: io.hostname(),
      command: ["deno", "task", "audit", ...args].map(quoteWord).join(" "),
    });
    io.out(
      `removed ${removed} audit entries last seen before ${new Date(cutoff).toISOString()}`,
    );
    return 0;
  } catch (error) {
    io.err(`error: ${(error as Error).message}`);
    return 1;
  } finally {
    db.close();
  }
}

function usage(io: AuditCliIo, message: string): number {
  io.err(`error: ${message}`);
  io.err(AUDIT_USAGE);
  return 2;
}

if (import.meta.main) {
  Deno.exit(runAuditCli(Deno.args, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    env: (name) => Deno.env.get(name),
    now: () => Date.now(),
    hostname: () => Deno.hostname(),
  }));
}
