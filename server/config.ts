/**
 * Command-line flags and environment variables, validated with zod.
 *
 * Every flag has an environment equivalent; a flag wins over its variable.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { parseMigrationAddresses } from "./migrations/address.ts";
import { DEFAULT_DATA_DIR } from "./db.ts";
import { metricsTokenSchema } from "./metrics/token.ts";
import { webhookSecretSchema, webhookUrlSchema } from "./webhooks/settings.ts";
import type { HostSpec } from "./hosts/model.ts";
import { HostConfigError, parseHostsFile, parseHostSpec, resolveHosts } from "./hosts/config.ts";

/** Validated server configuration. */
export interface Config {
  /** Address to listen on. */
  host: string;
  /** TCP port. */
  port: number;
  /** libvirt connection URI of the default host (`local`), passed to its virsh calls as `-c`. */
  connect: string;
  /** Every libvirt host, the default one first (see `hosts/config.ts`). */
  hosts: HostSpec[];
  /** Per-host address migration streams go to (`--migration-address NAME=ADDR`). */
  migrationAddresses: Map<string, string>;
  /** Deadline for one virsh call, in milliseconds. */
  virshTimeoutMs: number;
  /** Largest number of virsh processes running at once. */
  virshMaxConcurrent: number;
  /** Long-lived virsh sessions answering short calls; 0 spawns one virsh per call. */
  virshSessions: number;
  /** Open connections one client address may hold (the front door refuses more). */
  clientConnections: number;
  /** Directory holding the database (users, sessions, tokens, audit log). */
  dataDir: string;
  /** Extra `Host` values to accept (`name` or `name:port`), on top of the defaults. */
  allowedHosts: string[];
  /**
   * Directories copy destinations must lie in; null means the default (libvirt's image directory
   * plus the directories holding the host's disk images at start, found by `main.ts`).
   */
  storageRoots: string[] | null;
  /** PEM certificate and key for TLS; both or neither. */
  tls: { certFile: string; keyFile: string } | null;
  /** A bearer that may scrape `/metrics` and nothing else; null when not set. */
  metricsToken: string | null;
  /** Receivers of job events and the HMAC key signing them; null without receivers. */
  webhooks: { urls: string[]; secret: string } | null;
  /** Storage moves running at once; the others wait in the host-wide queue. */
  maxMoves: number;
  /** Bytes/s shared by all running storage moves, or null for no budget. */
  bandwidthBudget: number | null;
}

/** Usage text printed by `--help` and after a bad value. */
export const USAGE = `Usage: deno task start [options]

Options (each has an environment variable; the flag wins):
  --host ADDR          address to listen on           HOST                (default 127.0.0.1)
  --port N             TCP port, 1-65535              PORT                (default 8080)
  --connect URI        libvirt URI of the default host "local"
                                                      LIBVIRT_DEFAULT_URI (default qemu:///system)
  --libvirt NAME=URI   one more libvirt host (name: a-z 0-9 -); repeatable
                                                      BLOCKBOARD_LIBVIRT (comma-separated)
  --migration-address NAME=ADDR  where migration streams to host NAME go (default: its URI's
                       host part); repeatable      BLOCKBOARD_MIGRATION_ADDRESS (comma-separated)
  --hosts-file FILE    NAME=URI lines (# comments)    BLOCKBOARD_HOSTS_FILE
  --virsh-timeout MS   deadline per virsh call        BLOCKBOARD_VIRSH_TIMEOUT_MS (default 30000)
  --virsh-max N        virsh processes at once        BLOCKBOARD_VIRSH_MAX (default 8)
  --virsh-sessions N   long-lived virsh sessions for short calls, 0 = one virsh per call
                                                      BLOCKBOARD_VIRSH_SESSIONS (default 2)
  --client-conns N     connections per client address BLOCKBOARD_CLIENT_CONNS (default 32)
  --data-dir DIR       users, sessions, audit log     BLOCKBOARD_DATA_DIR (default ${DEFAULT_DATA_DIR})
  --allowed-host NAME  extra Host name[:port] to serve; repeatable
                                                      BLOCKBOARD_ALLOWED_HOSTS (comma-separated)
  --storage-root DIR   where copies may be written; repeatable
                                                      BLOCKBOARD_STORAGE_ROOTS (colon-separated)
                       (default /var/lib/libvirt/images + directories of the host's disk images)
  --tls-cert FILE      PEM certificate (with --tls-key) BLOCKBOARD_TLS_CERT
  --tls-key FILE       PEM private key                  BLOCKBOARD_TLS_KEY
  --metrics-token T    bearer for GET /metrics only, >= 24 characters (API tokens work too;
                       prefer the variable: flags show in ps)
                                                      BLOCKBOARD_METRICS_TOKEN
  --webhook URL        POST job events (JSON, signed) to this http(s) URL; repeatable
                                                      BLOCKBOARD_WEBHOOKS (comma-separated)
  --webhook-secret S   HMAC-SHA256 key of X-Blockboard-Signature, >= 16 characters;
                       needed with --webhook          BLOCKBOARD_WEBHOOK_SECRET
  --max-moves N        storage moves running at once  BLOCKBOARD_MAX_MOVES (default 1)
  --bandwidth-budget BYTES/s  shared by all running storage moves
                                                      BLOCKBOARD_BANDWIDTH_BUDGET (default none)
  --help               show this text

Listening beyond loopback needs a user or an API token first:
  deno task user add NAME --role admin       (or set BLOCKBOARD_TOKEN)
  blockboard user add NAME --role admin --data-dir DIR   (the installed binary)
`;

/** A configuration problem: the message says which value and why. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const hostSchema = z.string().min(1, "must not be empty").max(253).regex(
  /^[A-Za-z0-9.:\-\[\]]+$/,
  "must be an IP address or a host name",
);
const portSchema = z.coerce.number({ error: "must be a number" }).int("must be a whole number")
  .min(1, "must be 1-65535").max(65535, "must be 1-65535");
const uriSchema = z.string().regex(
  /^[a-z0-9+]+:\/\/[^\s;'"`]*$/,
  "must be a libvirt URI such as qemu:///system",
);
const positiveInt = (max: number) =>
  z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(1).max(max);

const pathSchema = z.string().min(1, "must not be empty").max(4096).refine(
  (s) => !s.includes("\0"),
  "must not contain NUL",
);
const absoluteDirSchema = pathSchema
  .refine((s) => s.startsWith("/"), "must be an absolute path")
  .refine((s) => !s.split("/").includes(".."), "must not contain '..'");
const allowedHostSchema = z.string().min(1, "must not be empty").max(260).regex(
  /^(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/,
  "must be a host name or address, optionally with :port",
);

/** Result of {@link parseConfig}: either a config or a request for help. */
export type ParsedConfig = { help: true } | { help: false; config: Config };

/**
 * Reads flags then environment. Throws {@link ConfigError} naming the bad value. Pure apart from
 * reading `env`.
 */
export function parseConfig(
  args: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
  readTextFile: (path: string) => string = Deno.readTextFileSync,
): ParsedConfig {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        connect: { type: "string" },
        libvirt: { type: "string", multiple: true },
        "migration-address": { type: "string", multiple: true },
        "hosts-file": { type: "string" },
        "virsh-timeout": { type: "string" },
        "virsh-max": { type: "string" },
        "virsh-sessions": { type: "string" },
        "client-conns": { type: "string" },
        "data-dir": { type: "string" },
        "allowed-host": { type: "string", multiple: true },
        "storage-root": { type: "string", multiple: true },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "metrics-token": { type: "string" },
        webhook: { type: "string", multiple: true },
        "webhook-secret": { type: "string" },
        "max-moves": { type: "string" },
        "bandwidth-budget": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  if (values.help) return { help: true };
  const pick = (flag: string, variable: string, fallback: string) =>
    (values[flag] as string | undefined) ?? env[variable] ?? fallback;
  const field = <T>(label: string, schema: z.ZodType<T>, raw: string): T => {
    const r = schema.safeParse(raw);
    if (!r.success) {
      throw new ConfigError(`${label} ${JSON.stringify(raw)} ${r.error.issues[0].message}`);
    }
    return r.data;
  };
  /** Repeatable flag, else the variable split on `separator`, else null. */
  const pickList = (flag: string, variable: string, separator: string): string[] | null => {
    const flagged = values[flag] as string[] | undefined;
    if (flagged && flagged.length) return flagged;
    const raw = env[variable];
    if (raw === undefined || raw.trim() === "") return null;
    return raw.split(separator).map((s) => s.trim()).filter((s) => s !== "");
  };
  const fieldList = (label: string, schema: z.ZodType<string>, raw: string[] | null) =>
    raw === null ? null : raw.map((item) => field(label, schema, item));
  const certFile = (values["tls-cert"] as string | undefined) ?? env.BLOCKBOARD_TLS_CERT;
  const keyFile = (values["tls-key"] as string | undefined) ?? env.BLOCKBOARD_TLS_KEY;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError("--tls-cert and --tls-key must be given together");
  }
  const metricsToken = (values["metrics-token"] as string | undefined) ??
    (env.BLOCKBOARD_METRICS_TOKEN || undefined);
  const webhookUrls = fieldList(
    "--webhook/BLOCKBOARD_WEBHOOKS",
    webhookUrlSchema,
    pickList("webhook", "BLOCKBOARD_WEBHOOKS", ","),
  );
  const webhookSecret = (values["webhook-secret"] as string | undefined) ??
    (env.BLOCKBOARD_WEBHOOK_SECRET || undefined);
  if (webhookUrls !== null && webhookSecret === undefined) {
    throw new ConfigError(
      "--webhook needs --webhook-secret (or BLOCKBOARD_WEBHOOK_SECRET): every delivery is signed",
    );
  }
  const connect = field(
    "--connect/LIBVIRT_DEFAULT_URI",
    uriSchema,
    pick("connect", "LIBVIRT_DEFAULT_URI", "qemu:///system"),
  );
  const hosts = configuredHosts(
    connect,
    values.connect !== undefined || env.LIBVIRT_DEFAULT_URI !== undefined,
    pickList("libvirt", "BLOCKBOARD_LIBVIRT", ","),
    (values["hosts-file"] as string | undefined) ?? env.BLOCKBOARD_HOSTS_FILE,
    readTextFile,
  );
  let migrationAddresses: Map<string, string>;
  try {
    migrationAddresses = parseMigrationAddresses(
      pickList("migration-address", "BLOCKBOARD_MIGRATION_ADDRESS", ",") ?? [],
    );
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const budget = (values["bandwidth-budget"] as string | undefined) ??
    env.BLOCKBOARD_BANDWIDTH_BUDGET;
  return {
    help: false,
    config: {
      migrationAddresses,
      host: field("--host/HOST", hostSchema, pick("host", "HOST", "127.0.0.1")),
      port: field("--port/PORT", portSchema, pick("port", "PORT", "8080")),
      connect,
      hosts,
      virshTimeoutMs: field(
        "--virsh-timeout/BLOCKBOARD_VIRSH_TIMEOUT_MS",
        positiveInt(3_600_000),
        pick("virsh-timeout", "BLOCKBOARD_VIRSH_TIMEOUT_MS", "30000"),
      ),
      virshMaxConcurrent: field(
        "--virsh-max/BLOCKBOARD_VIRSH_MAX",
        positiveInt(256),
        pick("virsh-max", "BLOCKBOARD_VIRSH_MAX", "8"),
      ),
      virshSessions: field(
        "--virsh-sessions/BLOCKBOARD_VIRSH_SESSIONS",
        z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(0).max(64),
        pick("virsh-sessions", "BLOCKBOARD_VIRSH_SESSIONS", "2"),
      ),
      clientConnections: field(
        "--client-conns/BLOCKBOARD_CLIENT_CONNS",
        positiveInt(100_000),
        pick("client-conns", "BLOCKBOARD_CLIENT_CONNS", "32"),
      ),
      dataDir: field(
        "--data-dir/BLOCKBOARD_DATA_DIR",
        pathSchema,
        pick("data-dir", "BLOCKBOARD_DATA_DIR", DEFAULT_DATA_DIR),
      ),
      allowedHosts: fieldList(
        "--allowed-host/BLOCKBOARD_ALLOWED_HOSTS",
        allowedHostSchema,
        pickList("allowed-host", "BLOCKBOARD_ALLOWED_HOSTS", ","),
      ) ?? [],
      storageRoots: fieldList(
        "--storage-root/BLOCKBOARD_STORAGE_ROOTS",
        absoluteDirSchema,
        pickList("storage-root", "BLOCKBOARD_STORAGE_ROOTS", ":"),
      ),
      tls: certFile !== undefined && keyFile !== undefined
        ? {
          certFile: field("--tls-cert/BLOCKBOARD_TLS_CERT", pathSchema, certFile),
          keyFile: field("--tls-key/BLOCKBOARD_TLS_KEY", pathSchema, keyFile),
        }
        : null,
      // Secrets are never echoed back in an error message.
      metricsToken: metricsToken === undefined
        ? null
        : secret("--metrics-token/BLOCKBOARD_METRICS_TOKEN", metricsTokenSchema, metricsToken),
      webhooks: webhookUrls === null ? null : {
        urls: webhookUrls,
        secret: secret(
          "--webhook-secret/BLOCKBOARD_WEBHOOK_SECRET",
          webhookSecretSchema,
          webhookSecret!,
        ),
      },
      maxMoves: field(
        "--max-moves/BLOCKBOARD_MAX_MOVES",
        positiveInt(64),
        pick("max-moves", "BLOCKBOARD_MAX_MOVES", "1"),
      ),
      bandwidthBudget: budget === undefined || budget.trim() === "" ? null : field(
        "--bandwidth-budget/BLOCKBOARD_BANDWIDTH_BUDGET",
        positiveInt(Number.MAX_SAFE_INTEGER),
        budget,
      ),
    },
  };
}

/** A secret checked against `schema`; the error names the option, not the value. */
function secret(label: string, schema: z.ZodType<string>, raw: string): string {
  const r = schema.safeParse(raw);
  if (!r.success) throw new ConfigError(`${label} ${r.error.issues[0].message}`);
  return r.data;
}

/** The host list of `--libvirt`/`BLOCKBOARD_LIBVIRT`, `--hosts-file` and `--connect`. */
function configuredHosts(
  connect: string,
  connectGiven: boolean,
  listed: string[] | null,
  hostsFile: string | undefined,
  readTextFile: (path: string) => string,
): HostSpec[] {
  try {
    let fromFile: HostSpec[] = [];
    if (hostsFile !== undefined) {
      let text: string;
      try {
        text = readTextFile(hostsFile);
      } catch (e) {
        throw new HostConfigError(
          `--hosts-file ${JSON.stringify(hostsFile)} cannot be read: ${(e as Error).message}`,
        );
      }
      fromFile = parseHostsFile(text, hostsFile);
    }
    return resolveHosts({
      connect,
      connectGiven,
      listed: (listed ?? []).map((item) => parseHostSpec(item, "--libvirt/BLOCKBOARD_LIBVIRT")),
      fromFile,
    });
  } catch (e) {
    if (e instanceof HostConfigError) throw new ConfigError(e.message);
    throw e;
  }
}
