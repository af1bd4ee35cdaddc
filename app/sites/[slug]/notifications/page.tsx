import type { Metadata } from "next";
import { NotificationsView } from "~/components/notify/NotificationsView";

export const metadata: Metadata = { title: "Notifications" };

export default async function NotificationsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <NotificationsView slug={decodeURIComponent(slug)} />;
}
