/**
 * The storage-move routes of one dashboard host, for `mountHostRoutes`: the JSON API
 * (`/api/v1/hosts/{host}/domains/{name}/move`, `/api/v1/hosts/{host}/moves…`) and the browser
 * endpoints (`/hosts/{host}/ui/…`) over that host's own move engine and queue. On a host whose
 * files this machine cannot see, the engine refuses every start with its sentence.
 *
 * @module
 */
import type { Services } from "../services.ts";
import type { HostRouteGroup } from "../hosts/routes.tsx";
import type { AuditSink } from "../audit/web.ts";
import { movesApi } from "./moves_api.ts";
import { movesQueueApi, type MovesQueueApiDeps } from "./moves_queue_api.ts";
import { movesCleanupApi } from "./moves_cleanup_api.ts";
import { movesUi, type MovesUiDeps } from "./moves_ui.tsx";

/** What the move routes of a host need: its services (engine, queue, runner, roots, name). */
export type HostMoveDeps = MovesUiDeps & MovesQueueApiDeps;

/** {@link HostMoveDeps} of a host's services. */
export function hostMoveDeps(services: Services, audit?: AuditSink): HostMoveDeps {
  return { ...services, queue: services.moveQueue, audit };
}

/** The move route groups of a host (API before `/moves/:id`, so `/moves/queue` is no id). */
export function moveRouteGroups(deps: HostMoveDeps): HostRouteGroup[] {
  return [
    { under: "api", path: "", routes: movesQueueApi(deps) },
    { under: "api", path: "", routes: movesCleanupApi(deps) },
    { under: "api", path: "", routes: movesApi({ moves: deps.moves, inventory: deps.inventory }) },
    { under: "page", path: "/ui", routes: movesUi(deps) },
  ];
}
