/**
 * The libvirt hosts one dashboard drives: their names, URIs and health, as the registry
 * (`registry.ts`) hands them to routes, pages and the migration code. Types and pure checks only.
 *
 * @module
 */
import { z } from "zod";
import type { Services } from "../services.ts";

/** The default host's name when no host list names one. */
export const DEFAULT_HOST_NAME = "local";

/** A host name: 1-32 of `[a-z0-9-]`, not starting or ending with `-` (it appears in URLs). */
export const hostNameSchema = z.string().regex(
  /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/,
  "must be 1-32 lowercase letters, digits or '-', not starting or ending with '-'",
);

/** A libvirt connection URI (same rule as `--connect`). */
export const hostUriSchema = z.string().regex(
  /^[a-z0-9+]+:\/\/[^\s;'"`]*$/,
  "must be a libvirt URI such as qemu:///system or qemu+tcp://10.0.0.2/system",
);

/** One configured host. */
export interface HostSpec {
  name: string;
  uri: string;
}

/** What the dashboard knows of a host's connection right now (JSON-ready). */
export interface HostStatus {
  reachable: boolean;
  /** The sentence of the last failure while unreachable; null while reachable. */
  lastError: string | null;
  /** ISO time it became unreachable; null while reachable. */
  since: string | null;
  /** ISO time of the next reconnection attempt; null while reachable. */
  nextRetryAt: string | null;
}

/** One host of the registry: its own runner, inventory, job monitor, operations, storage roots. */
export interface Host {
  readonly name: string;
  readonly uri: string;
  /** The default host (unqualified routes address it). */
  readonly isDefault: boolean;
  /** Its own services (runner `virsh -c URI`, inventory, monitor + event listener, operations). */
  readonly services: Services;
  /** False while its libvirt does not answer (calls then fail fast until the next retry). */
  readonly reachable: boolean;
  /** The sentence of the last failure, or null while reachable. */
  readonly lastError: string | null;
  /** Reachability with times, for banners and `GET /api/v1/hosts`. */
  status(): HostStatus;
  /** Asks libvirt now whether it answers (a call ran past its deadline); updates the status. */
  checkNow(): Promise<void>;
  /**
   * A read ran past its deadline (`message` says so): the host counts as down from now, with
   * its next retry set, until a probe or a call finds it answering.
   */
  markLate(message: string): void;
}

/** The hosts of the dashboard, in configuration order; the default one first. */
export interface HostRegistry {
  /** Every host, default first. */
  list(): readonly Host[];
  /** The host called `name`, or undefined. */
  get(name: string): Host | undefined;
  /** The host unqualified routes, pages and the terminal address. */
  readonly default: Host;
}
