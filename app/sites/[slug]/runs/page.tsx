import type { Metadata } from "next";
import { RunsList } from "~/components/runs/RunsList";

export const metadata: Metadata = { title: "Runs" };

export default async function RunsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <RunsList slug={decodeURIComponent(slug)} />;
}
