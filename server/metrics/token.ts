/**
 * The metrics token (`--metrics-token`, `BLOCKBOARD_METRICS_TOKEN`): a bearer that may scrape
 * `/metrics` and nothing else, so a Prometheus server needs no API token with a role.
 *
 * @module
 */
import { z } from "zod";

/** At least 24 printable ASCII characters, no spaces (it travels in an `Authorization` header). */
export const metricsTokenSchema = z
  .string()
  .min(24, "must be at least 24 characters long")
  .max(512, "must be at most 512 characters long")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");
