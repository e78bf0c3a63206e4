/**
 * The terminal's HTTP side: `terminalApi` (JSON, mounted at `/api/v1`) and `terminalUi` (the
 * panel's fragments and streams, mounted at `/ui/terminal`).
 *
 * @module
 */
export type { TerminalAuditEntry, TerminalDeps } from "./deps.ts";
export { terminalApi, terminalRequestSchema } from "./api.ts";
export { terminalUi, type TerminalUiOptions } from "./ui.tsx";
export { TERMINAL_UI_BASE } from "./fragments.tsx";
export { ActionLog } from "./action_log.ts";
export { EventLog } from "./event_log.ts";
export { displayCommandLine } from "../../virsh/display.ts";
export { API_STREAM_TIMEOUT_MS, FINISHED_TIMEOUT_MS, UI_STREAM_TIMEOUT_MS } from "./execute.ts";
