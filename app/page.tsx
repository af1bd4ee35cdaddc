import { SitesPage } from "~/components/site/SitesPage";

export const dynamic = "force-dynamic";

export default function Home() {
  return <SitesPage />;
}
