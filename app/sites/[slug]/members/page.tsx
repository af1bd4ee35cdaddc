import type { Metadata } from "next";
import { MembersView } from "~/components/admin/MembersView";

export const metadata: Metadata = { title: "Members" };

export default async function MembersPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <MembersView slug={decodeURIComponent(slug)} />;
}
