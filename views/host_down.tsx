/**
 * The page of a host that does not answer (known down, or past its page deadline): the error
 * page of a 503 on that host (its URI, the host switcher, the way to all hosts) with the host's
 * banner saying what failed. Pure.
 *
 * @module
 */
import type { LayoutSession } from "./layout.tsx";
import { type HostBannerItem, HostBanners } from "./hosts.tsx";
import { ErrorPage } from "./pages.tsx";

/** Props of {@link HostDownPage}. */
export interface HostDownPageProps {
  host: HostBannerItem;
  session: LayoutSession | null;
}

/** A host's page while it does not answer. */
export function HostDownPage({ host, session }: HostDownPageProps) {
  return (
    <ErrorPage
      uri={host.uri}
      session={session}
      status={503}
      title={`host ${host.name} is not answering`}
      message={`This page needs host ${host.name}, which is not answering: ${
        host.problem ?? host.status.lastError ?? "no answer"
      }`}
      banner={<HostBanners hosts={[{ ...host, domains: null }]} />}
    />
  );
}
