import type { Metadata, Viewport } from "next";
import { KioskBoard } from "~/components/kiosk/KioskBoard";

type Params = { params: Promise<{ board: string }> };

/** The board's own manifest (full screen, opens on this board) instead of the dashboard's. */
export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { board } = await params;
  return { title: "Kiosk", robots: { index: false, follow: false }, referrer: "no-referrer", manifest: `/kiosk/${board}/manifest.webmanifest` };
}
export const viewport: Viewport = { themeColor: "#070b10", colorScheme: "dark" };

/** A wall screen: no top bar, no sign-in; the board's kiosk token comes in the URL fragment (read in the browser). */
export default async function KioskPage({ params }: Params) {
  const { board } = await params;
  return <KioskBoard board={decodeURIComponent(board)} />;
}
