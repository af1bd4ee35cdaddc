import { HostsView } from "~/components/site/HostsView";

export default async function HostsPage({ params }: { params: Promise<{ host?: string[] }> }) {
  const { host } = await params;
  return <HostsView host={host?.[0] ? decodeURIComponent(host[0]) : undefined} />;
}
