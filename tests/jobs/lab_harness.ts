/**
 * A real lab domain with a real monitor (events on, fast sampling) and operations, for the
 * block-job integration tests. Disposing stops the monitor and removes the domain.
 *
 * @module
 */
import { JobMonitor } from "../../server/jobs/monitor.ts";
import { JobOperations } from "../../server/jobs/operations.ts";
import type { Job, JobPhase } from "../../server/jobs/model.ts";
import { parseDomainXml, type XmlDisk } from "../../server/virsh/parse/domxml.ts";
import { parseBlockJobInfo } from "../../server/virsh/parse/blockjob.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import {
  createLabDomain,
  type CreateLabDomainOptions,
  LAB_URI,
  type LabDomain,
  labVirsh,
  uniqueName,
  waitFor,
} from "../lab/lab.ts";

/** Everything a job test needs. */
export interface JobLab extends AsyncDisposable {
  dom: LabDomain;
  runner: SpawnRunner;
  monitor: JobMonitor;
  ops: JobOperations;
  /** The vda reference for operations. */
  vda: { uuid: string; target: string };
}

/** Creates a lab domain (persistent unless told otherwise) and a started monitor. */
export async function jobLab(opts: CreateLabDomainOptions = {}): Promise<JobLab> {
  const dom = await createLabDomain({ name: uniqueName("bbjob-"), persistent: true, ...opts });
  const runner = new SpawnRunner({ uri: LAB_URI, timeoutMs: 30_000 });
  const monitor = new JobMonitor(runner, { intervalMs: 250, resyncIntervalMs: 0 });
  const ops = new JobOperations(runner, monitor, { pivotRetryDelayMs: 200 });
  try {
    await monitor.start();
    await waitFor("the event listener", () => Promise.resolve(monitor.events.state !== "off"));
  } catch (e) {
    await monitor.stop();
    await dom.destroy();
    throw e;
  }
  return {
    dom,
    runner,
    monitor,
    ops,
    vda: { uuid: dom.uuid, target: "vda" },
    async [Symbol.asyncDispose]() {
      await monitor.stop();
      await dom.destroy();
    },
  };
}

/** Waits until the monitor shows the disk's job in one of `phases`. */
export function waitPhase(
  monitor: JobMonitor,
  ref: { uuid: string; target: string },
  phases: JobPhase[],
  { timeoutMs = 60_000 }: { timeoutMs?: number } = {},
): Promise<Job> {
  return waitFor(`job phase ${phases.join("|")}`, () => {
    const job = monitor.getJob(ref.uuid, ref.target);
    return Promise.resolve(job && phases.includes(job.phase) ? job : null);
  }, { timeoutMs, intervalMs: 50 });
}

/** The disk as the live (or persistent) XML shows it now. */
export async function xmlDisk(uuid: string, target: string, inactive = false): Promise<XmlDisk> {
  const r = await labVirsh("dumpxml", "--domain", uuid, ...(inactive ? ["--inactive"] : []));
  if (r.code !== 0) throw new Error(r.stderr);
  const disk = parseDomainXml(r.stdout).disks.find((d) => d.target === target);
  if (!disk) throw new Error(`no disk ${target}`);
  return disk;
}

/** `blockjob --info --raw --bytes` straight from virsh. */
export async function rawJob(uuid: string, target: string) {
  const r = await labVirsh(
    "blockjob",
    "--domain",
    uuid,
    "--path",
    target,
    "--info",
    "--raw",
    "--bytes",
  );
  if (r.code !== 0) throw new Error(r.stderr);
  return parseBlockJobInfo(r.stdout);
}

/** Paths of the live chain, top first. */
export async function chainPaths(uuid: string, target: string): Promise<string[]> {
  return (await xmlDisk(uuid, target)).chain.map((l) => l.path);
}
