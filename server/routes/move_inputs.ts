/**
 * The Move storage form's fields (url-encoded, as the browser sends them) → the values the page
 * shows again and the engine's start request. The destination is a storage root the server
 * offered plus a subfolder inside it; the request then goes through the engine's own schema.
 *
 * @module
 */
import { z } from "zod";
import { HttpError, invalidInput } from "../http_errors.ts";
import { type MoveRequest, moveRequestSchema } from "../moves/model.ts";
import { hostPathSchema } from "../virsh/values.ts";
import type { MoveFormValues } from "../../views/move_form.tsx";
import { bandwidthMiBField, bufSizeKiBField, checkbox, granularityField } from "./job_inputs.ts";

const text = (max: number) =>
  z.string({ error: (i) => i.input === undefined ? "is required" : "must be text" }).max(
    max,
    `is too long: at most ${max} characters`,
  );

/** The form's fields; `disks` may come once or many times. */
export const moveFormSchema = z.strictObject({
  root: text(4096),
  subfolder: text(1024).transform((s) => s.trim()).optional(),
  disks: z.union([z.string(), z.array(z.string())], { error: "tick at least one disk" })
    .transform((d) => [d].flat()),
  bandwidthMiB: text(32).optional(),
  pivot: z.enum(["manual", "auto"], { error: 'must be "manual" or "auto"' }).optional(),
  synchronousWrites: checkbox,
  granularity: text(16).optional(),
  bufSizeKiB: text(16).optional(),
}, {
  error: (issue) =>
    issue.code === "unrecognized_keys"
      ? `unknown field${(issue as { keys?: string[] }).keys?.length === 1 ? "" : "s"} ${
        ((issue as { keys?: string[] }).keys ?? []).map((k) => JSON.stringify(k)).join(", ")
      }: this form takes root, subfolder, disks, bandwidthMiB, pivot, synchronousWrites, granularity, bufSizeKiB`
      : undefined,
});

/** The form as the page shows it again, and the request it makes. */
export interface ParsedMoveForm {
  values: MoveFormValues;
  request: MoveRequest;
}

/**
 * Validates the form's fields: `root` must be one of `storageRoots` (the select offers only
 * those), the subfolder must stay inside it. Throws an {@link HttpError} 400 naming the field.
 */
export function parseMoveForm(
  fields: Record<string, unknown>,
  storageRoots: readonly string[],
): ParsedMoveForm {
  const form = moveFormSchema.safeParse(fields);
  if (!form.success) throw invalidInput(form.error, "form");
  const f = form.data;
  if (!storageRoots.includes(f.root)) {
    throw new HttpError(
      400,
      "invalid_input",
      `root: ${JSON.stringify(f.root)} is not a storage root (${
        storageRoots.join(", ") || "none is configured"
      })`,
      "root",
    );
  }
  const subfolder = f.subfolder ?? "";
  if (subfolder.startsWith("/")) {
    throw new HttpError(
      400,
      "invalid_input",
      "subfolder: must be relative to the storage root (no leading /)",
      "subfolder",
    );
  }
  const destDir = subfolder === "" ? f.root : `${f.root}/${subfolder}`;
  const dest = hostPathSchema.safeParse(destDir);
  if (!dest.success) {
    throw new HttpError(
      400,
      "invalid_input",
      `subfolder: ${dest.error.issues[0].message}`,
      "subfolder",
    );
  }
  if (f.disks.length === 0) {
    throw new HttpError(400, "invalid_input", "disks: tick at least one disk", "disks");
  }
  const bandwidth = bandwidthMiBField.optional().safeParse(f.bandwidthMiB);
  if (!bandwidth.success) throw invalidInput(bandwidth.error, "bandwidthMiB");
  const granularity = granularityField.optional().safeParse(f.granularity);
  if (!granularity.success) throw invalidInput(granularity.error, "granularity");
  const bufSize = bufSizeKiBField.optional().safeParse(f.bufSizeKiB);
  if (!bufSize.success) throw invalidInput(bufSize.error, "bufSizeKiB");
  const request = moveRequestSchema.safeParse({
    destDir: dest.data,
    disks: f.disks,
    ...(bandwidth.data ? { bandwidthBytes: bandwidth.data } : {}),
    pivot: f.pivot ?? "manual",
    ...(f.synchronousWrites ? { synchronousWrites: true } : {}),
    ...(granularity.data !== undefined ? { granularity: granularity.data } : {}),
    ...(bufSize.data !== undefined ? { bufSize: bufSize.data } : {}),
  });
  if (!request.success) throw invalidInput(request.error, "form");
  return {
    values: {
      root: f.root,
      subfolder,
      disks: f.disks,
      bandwidthMiB: f.bandwidthMiB?.trim() ?? "",
      pivot: f.pivot ?? "manual",
      synchronousWrites: f.synchronousWrites,
      granularity: f.granularity?.trim() ?? "",
      bufSizeKiB: f.bufSizeKiB?.trim() ?? "",
    },
    request: request.data,
  };
}
