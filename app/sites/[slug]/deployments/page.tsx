import type { Metadata } from "next";
import { DeploymentsView } from "~/components/runs/DeploymentsView";

export const metadata: Metadata = { title: "Deployments" };

export default async function DeploymentsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <DeploymentsView slug={decodeURIComponent(slug)} />;
}
