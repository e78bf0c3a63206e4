/**
 * Cost of one virsh command spawned per call vs. inside a long-lived session, on the lab's demo
 * domains: `deno task bench:session [ROUNDS]`. Prints medians (ms) and their ratio per command.
 *
 * @module
 */
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { SessionPoolRunner } from "../../server/virsh/pool.ts";

const ROUNDS = Number(Deno.args[0] ?? 30);
const COMMANDS: string[][] = [
  ["list", "--all"],
  ["domstats", "--block", "--backing"],
  ["blockjob", "--domain", "bbdemo-web", "--path", "vda", "--info", "--raw", "--bytes"],
  ["dumpxml", "--domain", "bbdemo-web"],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(run: () => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  return ms;
}

if (import.meta.main) {
  const spawn = new SpawnRunner({ uri: "qemu:///system" });
  const pool = new SessionPoolRunner({ spawn, size: 1 });
  await pool.run(["uri"]); // start the session outside the measurement
  console.log(`${ROUNDS} rounds each; median ms per command`);
  console.log("command | spawned | session | spawned/session");
  for (const args of COMMANDS) {
    const spawned = median(await time(() => spawn.run(args)));
    const session = median(await time(() => pool.run(args)));
    console.log(
      `${args.slice(0, 2).join(" ")} | ${spawned.toFixed(1)} | ${session.toFixed(2)} | ${
        (spawned / session).toFixed(0)
      }x`,
    );
  }
  await pool.close();
}
