import type { Metadata, Viewport } from "next";
import { KioskBoard } from "~/components/kiosk/KioskBoard";

export const metadata: Metadata = { title: "Kiosk", robots: { index: false, follow: false }, referrer: "no-referrer" };
export const viewport: Viewport = { themeColor: "#070b10", colorScheme: "dark" };

/** A wall screen: no top bar, no sign-in; the board's kiosk token comes in the URL fragment (read in the browser). */
export default async function KioskPage({ params }: { params: Promise<{ board: string }> }) {
  const { board } = await params;
  return <KioskBoard board={decodeURIComponent(board)} />;
}
