/**
 * zod schemas of what the JSON API answers: the inventory (domain, disk, layer, mirror), the
 * block job, the job history record, the health probe, the terminal's result, the audit export
 * and the one error body. The OpenAPI document is generated from them, and each is checked at
 * type-check time against the TypeScript type the code really returns ({@link SameType}), so a
 * field added to `Job` without its schema (or the reverse) fails `deno check`, not a client.
 *
 * @module
 */
import { z } from "zod";
import type { Disk, Domain, Layer, Mirror } from "../inventory/model.ts";
import { type Job, JOB_PHASES, JOB_TYPES, type JobOptions } from "../jobs/model.ts";
import type { JobRecord } from "../jobs/history.ts";
import { migrationHistoryRecordSchema } from "../migrations/job_history.ts";
import { moveHistoryRecordSchema } from "../moves/schemas.ts";
import type { AuditEntry } from "../audit/entry.ts";
import { AUDIT_RESULTS } from "../audit/entry.ts";
import type { ErrorBody } from "../http_errors.ts";
import type { LibvirtSeen } from "../jobs/libvirt_seen.ts";

/**
 * `true` when `A` and `B` are assignable both ways (the schema's type and the code's type hold
 * the same fields), else `false`; used as `const _: SameType<...> = true`.
 */
export type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const nullableString = z.string().nullable();
const isoTime = z.string().describe("ISO 8601 time");

/** The error body of every 4xx/5xx JSON answer. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe("stable machine-readable code, e.g. invalid_input, not_found"),
    message: z.string().describe("a sentence a person can act on (the UI shows the same)"),
    field: z.string().optional().describe("the input field at fault, for 400s"),
  }),
}).describe('`{"error":{"code","message"}}`');

/** One layer of a backing chain (`chain[0]` is the active layer). */
export const layerSchema = z.object({
  index: z.number().int().nullable().describe(
    "libvirt's index (vda[N]); null when the domain is off",
  ),
  path: z.string(),
  format: nullableString.describe("format recorded in the domain XML; null = not recorded"),
  capacity: z.number().nullable().describe("virtual size in bytes; null when unknown"),
  allocation: z.number().nullable().describe("bytes used on the host; null when unknown"),
});

/** A `<mirror>`: the destination of a running copy or active commit. */
export const mirrorSchema = z.object({
  path: z.string(),
  format: nullableString,
  job: nullableString.describe("copy or active-commit"),
  ready: nullableString.describe("libvirt's ready attribute: yes, abort, pivot, or null"),
});

/** Options a job started with beyond its paths and bandwidth (`JobOptions`). */
export const jobOptionsSchema = z.object({
  synchronousWrites: z.boolean().optional().describe("blockcopy --synchronous-writes"),
  granularity: z.number().int().optional().describe("blockcopy --granularity, bytes"),
  bufSize: z.number().int().optional().describe("blockcopy --buf-size, bytes"),
  keepRelative: z.boolean().optional().describe("blockpull/blockcommit --keep-relative"),
  delete: z.boolean().optional().describe("blockcommit --delete"),
});
/** `Job.owner`: the operation a job belongs to (see `server/jobs/owners.ts`). */
export const jobOwnerSchema = z.object({
  kind: z.enum(["move", "migration"]),
  id: z.string().describe("the move's or the migration's id"),
  label: z.string().describe("what the job card says, e.g. `Migrating to host2`"),
});

/** A block job, live or just finished, as the monitor knows it. */
export const jobSchema = z.object({
  type: z.enum(JOB_TYPES),
  phase: z.enum(JOB_PHASES),
  cur: z.number().describe("progress counter (bytes for most jobs)"),
  end: z.number(),
  percent: z.number().describe("cur/end in percent, floored to 0.1"),
  bandwidthBytes: z.number().describe("bandwidth limit in bytes/s; 0 = unlimited"),
  rateBytesPerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  startedAt: isoTime,
  dest: z.string().optional(),
  message: z.string().optional(),
  host: z.string().optional(),
  domain: z.string(),
  uuid: z.string(),
  target: z.string(),
  base: z.string().optional(),
  top: z.string().optional(),
  source: z.string().optional(),
  elapsedSeconds: z.number(),
  finishedAt: isoTime.nullable(),
  readyAt: isoTime.nullable(),
  converging: z.boolean().nullable(),
  notConverging: nullableString.optional().describe(
    "a copy whose remaining bytes grew for 30 s: the sentence saying so and what to do; else null",
  ),
  options: jobOptionsSchema.optional().describe(
    "options the job started with (absent: none, or unknown for an adopted job)",
  ),
  adopted: z.boolean().describe("true when blockboard did not start this job"),
  owner: jobOwnerSchema.optional().describe(
    "the storage move or live migration this job is a step of: only it may pivot, abort or " +
      "throttle the job, and it records the job's end (absent for a standalone job)",
  ),
  outcome: nullableString.describe("what the end of the job means for the data"),
  startedBy: z.string().optional(),
  command: z.string().optional(),
  leftChain: z.array(z.string()).optional(),
  cleaned: z.array(z.string()).optional(),
  updatedAt: isoTime,
});

/** A disk of a domain, with its chain and its job. */
export const diskSchema = z.object({
  target: z.string(),
  device: z.string(),
  type: z.string(),
  format: nullableString,
  source: nullableString,
  chain: z.array(layerSchema),
  mirror: mirrorSchema.nullable(),
  warnings: z.array(z.string()),
  job: jobSchema.nullable(),
});

/** A libvirt domain. */
export const domainSchema = z.object({
  name: z.string(),
  uuid: z.string(),
  state: z.enum([
    "running",
    "blocked",
    "paused",
    "shutdown",
    "shut off",
    "crashed",
    "pmsuspended",
    "no state",
  ]),
  persistent: z.boolean(),
  disks: z.array(diskSchema),
});

/** A finished job from the history. */
export const jobRecordSchema = z.object({
  id: z.number().int(),
  host: z.string(),
  type: z.enum(JOB_TYPES),
  uuid: z.string(),
  domain: z.string(),
  target: z.string(),
  startedBy: z.string(),
  startedAt: isoTime,
  finishedAt: isoTime,
  phase: z.enum(JOB_PHASES),
  outcome: z.string(),
  message: z.string(),
  cur: z.number(),
  end: z.number(),
  bandwidthBytes: z.number(),
  dest: nullableString,
  leftChain: z.array(z.string()),
  cleaned: z.array(z.string()),
});

/** `GET /healthz`. */
export const healthSchema = z.object({
  status: z.literal("ok"),
  libvirt: z.object({
    uri: z.string(),
    reachable: z.boolean(),
    lastSeenAt: isoTime.nullable(),
    message: z.string().optional(),
  }),
});

/** `POST /api/v1/terminal`: the line's exit code and output. */
export const terminalResultSchema = z.object({
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
});

/** One entry of `GET /audit.json`. */
export const auditExportEntrySchema = z.object({
  id: z.number().int(),
  at: z.number().describe("milliseconds since the epoch"),
  time: isoTime,
  lastAt: z.number(),
  lastTime: isoTime,
  user: z.string(),
  role: z.string(),
  client: z.string(),
  action: z.string(),
  argv: z.array(z.string()).nullable(),
  result: z.enum(AUDIT_RESULTS),
  message: z.string(),
  count: z.number().int(),
  domain: nullableString,
  host: nullableString,
});

/** `GET /api/v1/openapi.json`: an OpenAPI 3.1 document (its own validator checks the rest). */
export const openApiDocumentSchema = z.looseObject({
  openapi: z.literal("3.1.0"),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

/** `GET /api/v1/domains`. */
export const domainListResponse = z.object({ domains: z.array(domainSchema) });
/** `GET /api/v1/domains/:name`. */
export const domainResponse = z.object({ domain: domainSchema });
/** A job read, started or controlled; `job` is null when the disk has none. */
export const jobResponse = z.object({ job: jobSchema.nullable() });
/** `GET /api/v1/jobs`: finished jobs, storage moves (`type: "move"`) and migrations (`type: "migration"`). */
export const jobHistoryResponse = z.object({
  jobs: z.array(z.union([jobRecordSchema, moveHistoryRecordSchema, migrationHistoryRecordSchema])),
});
/** `GET /audit.json`. */
export const auditExportResponse = z.array(auditExportEntrySchema);

/** {@link domainListResponse}'s type: what the handler returns. */
export type DomainListResponse = z.infer<typeof domainListResponse>;
/** {@link domainResponse}'s type. */
export type DomainResponse = z.infer<typeof domainResponse>;
/** {@link jobResponse}'s type. */
export type JobResponse = z.infer<typeof jobResponse>;
/** {@link jobHistoryResponse}'s type. */
export type JobHistoryResponse = z.infer<typeof jobHistoryResponse>;
/** {@link healthSchema}'s type. */
export type HealthResponse = z.infer<typeof healthSchema>;
/** {@link terminalResultSchema}'s type. */
export type TerminalResult = z.infer<typeof terminalResultSchema>;

// The schemas hold exactly the fields of the types the code returns: `deno check` fails here
// when one side gains or loses a field or changes its type.
const sameLayer: SameType<z.infer<typeof layerSchema>, Layer> = true;
const sameMirror: SameType<z.infer<typeof mirrorSchema>, Mirror> = true;
const sameJob: SameType<z.infer<typeof jobSchema>, Job> = true;
const sameJobOptions: SameType<z.infer<typeof jobOptionsSchema>, JobOptions> = true;
const sameDisk: SameType<z.infer<typeof diskSchema>, Disk> = true;
const sameDomain: SameType<z.infer<typeof domainSchema>, Domain> = true;
const sameRecord: SameType<z.infer<typeof jobRecordSchema>, JobRecord> = true;
const sameError: SameType<z.infer<typeof errorBodySchema>, ErrorBody> = true;
const sameAudit: SameType<
  z.infer<typeof auditExportEntrySchema>,
  AuditEntry & { time: string; lastTime: string }
> = true;
const sameSeen: SameType<
  Pick<LibvirtSeen, "reachable" | "lastSeenAt">,
  Pick<HealthResponse["libvirt"], "reachable" | "lastSeenAt">
> = true;
/** The checks above, kept referenced (for the linter; they do their work at type-check time). */
export const SCHEMA_TYPE_CHECKS = [
  sameLayer,
  sameMirror,
  sameJob,
  sameJobOptions,
  sameDisk,
  sameDomain,
  sameRecord,
  sameError,
  sameAudit,
  sameSeen,
] as const;
