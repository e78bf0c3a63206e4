/**
 * Roles, ordered: `viewer` sees everything and changes nothing, `operator` starts and controls
 * jobs and runs the allowed terminal commands, `admin` also manages users, tokens and settings.
 *
 * @module
 */
import { z } from "zod";

/** All roles, least privileged first. */
export const ROLES = ["viewer", "operator", "admin"] as const;

/** One of {@link ROLES}. */
export type Role = typeof ROLES[number];

/** zod schema for a role name. */
export const roleSchema = z.enum(ROLES, {
  error: () => `role must be one of: ${ROLES.join(", ")}`,
});

/** True when `held` grants at least what `needed` does. */
export function roleAtLeast(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** Type guard for role strings read from storage. */
export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
