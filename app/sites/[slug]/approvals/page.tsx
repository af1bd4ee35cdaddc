import type { Metadata } from "next";
import { ApprovalsView } from "~/components/runs/ApprovalsView";

export const metadata: Metadata = { title: "Approvals" };

export default async function ApprovalsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <ApprovalsView slug={decodeURIComponent(slug)} />;
}
