/**
 * What the audit log holds and how it is asked: the shape of an entry going in and coming out,
 * the query and export filters, and the CSV columns. Types and schemas only.
 *
 * @module
 */
import { z } from "zod";

/** How an action ended. */
export const AUDIT_RESULTS = ["ok", "refused", "failed"] as const;

/** One of {@link AUDIT_RESULTS}. */
export type AuditResult = typeof AUDIT_RESULTS[number];

/** What a caller records. */
export interface AuditInput {
  /** User name, `token:<name>`, `local` (open mode) or `anonymous`. */
  user: string;
  /** The caller's role, or `none` for anonymous. */
  role: string;
  /** Client address. */
  client: string;
  /** What was attempted, e.g. `job.pivot`, `login`, `terminal`. */
  action: string;
  /**
   * The exact virsh argv (without the binary), when a virsh call was made or refused; a
   * qemu-img call's argv starts with `qemu-img`.
   */
  argv?: readonly string[] | null;
  result: AuditResult;
  /** Outcome in words (error message, refusal reason). */
  message?: string;
  /** Name of the domain the action was about, when there is one. */
  domain?: string | null;
  /** The dashboard host (`--libvirt NAME`) of the virsh call, when there was one. */
  host?: string | null;
}

/** A stored entry. */
export interface AuditEntry {
  id: number;
  /** Milliseconds since the epoch. */
  at: number;
  user: string;
  role: string;
  client: string;
  action: string;
  argv: string[] | null;
  result: AuditResult;
  message: string;
  /** How many equal refusals this entry stands for (1 for everything else). */
  count: number;
  /** Time of the last of them (equal to `at` when `count` is 1). */
  lastAt: number;
  /** The domain's name, or null. */
  domain: string | null;
  /** The dashboard host the entry concerns, or null (logins, refusals before any host). */
  host: string | null;
}

/** Filter and page for {@link AuditLog.query}. */
export const auditQuerySchema = z.object({
  user: z.string().max(100).optional(),
  /** Part of the action, any case (`pivot` finds `POST …/job/pivot (blockjob)`). */
  action: z.string().max(100).optional(),
  result: z.enum(AUDIT_RESULTS).optional(),
  /** Exact domain name. */
  domain: z.string().max(255).optional(),
  /** Inclusive lower bound (of the entry's last time), ms since the epoch. */
  since: z.number().int().nonnegative().optional(),
  /** Exclusive upper bound (of the entry's first time), ms since the epoch. */
  until: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).default(0),
});

/** Input of {@link AuditLog.query}. */
export type AuditQuery = z.input<typeof auditQuerySchema>;

/** Filter of the exports (everything matching, no paging). */
export type AuditFilter = Omit<AuditQuery, "limit" | "offset">;

/** Columns of the CSV export, in order. */
export const AUDIT_CSV_COLUMNS = [
  "id",
  "time",
  "user",
  "role",
  "client",
  "action",
  "argv",
  "result",
  "message",
  "count",
  "last_time",
  "domain",
] as const;
