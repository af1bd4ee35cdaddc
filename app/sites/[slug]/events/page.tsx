import type { Metadata } from "next";
import { EventsView } from "~/components/events/EventsView";

export const metadata: Metadata = { title: "Events" };

export default async function EventsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <EventsView slug={decodeURIComponent(slug)} />;
}
