/**
 * Starts `main.ts` as a child process on a free port with a temporary data directory, for tests
 * of the process itself (signals, descriptor floods, a port already in use).
 *
 * @module
 */
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A port nobody listens on right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A running blockboard child. */
export interface MainProcess {
  child: Deno.ChildProcess;
  pid: number;
  port: number;
  /** Its data directory (removed by {@link cleanup}). */
  dataDir: string;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit status. */
  status: Promise<Deno.CommandStatus>;
  /** Kills it if still running and removes the data directory. */
  cleanup(): Promise<void>;
}

/**
 * Starts main.ts (`prefix` runs before deno, e.g. `prlimit --nofile=...`). With `wait`, resolves
 * once it prints that it listens (or exits).
 */
export async function startMain(
  options: {
    port?: number;
    prefix?: string[];
    env?: Record<string, string>;
    wait?: boolean;
    /** Runs with the data directory before the server starts (e.g. to add a user). */
    setup?: (dataDir: string) => Promise<void>;
    /** The program and its arguments before the flags (default `deno run --allow-all main.ts`). */
    command?: string[];
    /** Working directory (default: this process's). */
    cwd?: string;
    /** Extra flags after `--port` and `--data-dir`. */
    args?: string[];
  } = {},
): Promise<MainProcess> {
  const port = options.port ?? freePort();
  const dataDir = await Deno.makeTempDir({ prefix: "bb-main-" });
  await options.setup?.(dataDir);
  const prefix = options.prefix ?? [];
  const argv = [...prefix, ...options.command ?? [Deno.execPath(), "run", "--allow-all", MAIN]];
  const child = new Deno.Command(argv[0], {
    args: [...argv.slice(1), "--port", String(port), "--data-dir", dataDir, ...options.args ?? []],
    cwd: options.cwd,
    env: { ...options.env, BLOCKBOARD_STORAGE_ROOTS: dataDir, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let listening!: () => void;
  const ready = new Promise<void>((r) => listening = r);
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (text.includes("blockboard listening on")) listening();
    }
  };
  const reading = Promise.all([read(child.stdout), read(child.stderr)]);
  const status = child.status.then(async (s) => {
    await reading;
    listening();
    return s;
  });
  if (options.wait !== false) {
    const timer = setTimeout(listening, 30_000);
    await ready;
    clearTimeout(timer);
  }
  return {
    child,
    pid: child.pid,
    port,
    dataDir,
    output: () => text,
    status,
    async cleanup() {
      // SIGTERM first (it removes its socket directory), SIGKILL if it does not end in 10 s.
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, 10_000);
      await status;
      clearTimeout(timer);
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** PIDs of processes whose parent is `pid` and whose command line contains all of `words`. */
export function childrenOf(pid: number, ...words: string[]): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== pid) continue;
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0");
      if (words.every((w) => cmdline.includes(w))) found.push(Number(entry.name));
    } catch { /* the process ended meanwhile */ }
  }
  return found;
}

/** Whether a process with this PID exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
