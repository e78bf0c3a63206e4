/**
 * The disk a browser route names: `/ui/domains/:uuid/disks/:target`, the domain by UUID (the
 * page had it resolved), checked like every other input.
 *
 * @module
 */
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import type { DiskRef } from "../jobs/operations.ts";
import { uuidSchema } from "../virsh/values.ts";
import { invalidInput } from "../http_errors.ts";
import { parseTargetParam } from "./jobs_api.ts";

/** The disk named in the route; a 400 for a bad UUID or target. */
export function diskRefOf(c: Context<AppEnv>): DiskRef {
  const uuid = uuidSchema.safeParse(c.req.param("uuid"));
  if (!uuid.success) throw invalidInput(uuid.error, "domain UUID");
  return { uuid: uuid.data, target: parseTargetParam(c.req.param("target")!) };
}
