/**
 * The page of a host that does not answer (known down, or past its page deadline): the host's
 * banner with what failed, and the way to the other hosts. Pure.
 *
 * @module
 */
import { Layout, type LayoutSession } from "./layout.tsx";
import { type HostBannerItem, HostBanners } from "./hosts.tsx";

/** Props of {@link HostDownPage}. */
export interface HostDownPageProps {
  host: HostBannerItem;
  session: LayoutSession | null;
}

/** A host's page while it does not answer. */
export function HostDownPage({ host, session }: HostDownPageProps) {
  return (
    <Layout
      title={`blockboard: host ${host.name} is not answering`}
      uri={host.uri}
      session={session}
      banners={<HostBanners hosts={[{ ...host, domains: null }]} />}
    >
      <p>
        This page needs host {host.name}, which is not answering. The other hosts are on{" "}
        <a href="/hosts">All hosts</a>.
      </p>
    </Layout>
  );
}
