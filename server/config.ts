/**
 * Command-line flags and environment variables, validated with zod.
 *
 * Every flag has an environment equivalent; a flag wins over its variable.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { z } from "zod";

/** Validated server configuration. */
export interface Config {
  /** Address to listen on. */
  host: string;
  /** TCP port. */
  port: number;
  /** libvirt connection URI passed to every virsh call as `-c`. */
  connect: string;
  /** Deadline for one virsh call, in milliseconds. */
  virshTimeoutMs: number;
  /** Largest number of virsh processes running at once. */
  virshMaxConcurrent: number;
}

/** Usage text printed by `--help` and after a bad value. */
export const USAGE = `Usage: deno task start [options]

Options (each has an environment variable; the flag wins):
  --host ADDR          address to listen on           HOST                (default 127.0.0.1)
  --port N             TCP port, 1-65535              PORT                (default 8080)
  --connect URI        libvirt connection URI         LIBVIRT_DEFAULT_URI (default qemu:///system)
  --virsh-timeout MS   deadline per virsh call        BLOCKBOARD_VIRSH_TIMEOUT_MS (default 30000)
  --virsh-max N        virsh processes at once        BLOCKBOARD_VIRSH_MAX (default 8)
  --help               show this text
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

/** Result of {@link parseConfig}: either a config or a request for help. */
export type ParsedConfig = { help: true } | { help: false; config: Config };

/**
 * Reads flags then environment. Throws {@link ConfigError} naming the bad value. Pure apart from
 * reading `env`.
 */
export function parseConfig(
  args: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): ParsedConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        connect: { type: "string" },
        "virsh-timeout": { type: "string" },
        "virsh-max": { type: "string" },
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
  return {
    help: false,
    config: {
      host: field("--host/HOST", hostSchema, pick("host", "HOST", "127.0.0.1")),
      port: field("--port/PORT", portSchema, pick("port", "PORT", "8080")),
      connect: field(
        "--connect/LIBVIRT_DEFAULT_URI",
        uriSchema,
        pick("connect", "LIBVIRT_DEFAULT_URI", "qemu:///system"),
      ),
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
    },
  };
}
