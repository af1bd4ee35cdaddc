import type { MetadataRoute } from "next";
import { NAME_PATTERN } from "~/server/inventory/names";

/**
 * Each board installs as its own full-screen app that opens on that board: `id` and `start_url` are the
 * board's page. Public like the board page itself, and it says nothing the address does not (no title, no
 * sites: those need the board's token). The token is not in it either: it stays in the screen's session. Only a
 * name a board could have gets one, so no other text can be dressed up as an installable app of this server.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ board: string }> }) {
  const board = decoded((await params).board);
  if (board.length > 63 || !NAME_PATTERN.test(board)) return new Response("no such board\n", { status: 404, headers: { "content-type": "text/plain" } });
  const page = `/kiosk/${encodeURIComponent(board)}`;
  const manifest: MetadataRoute.Manifest = {
    id: page,
    name: `${board} · Flightdeck kiosk`,
    short_name: board,
    description: `Flightdeck wall board ${board}`,
    start_url: page,
    scope: "/kiosk/",
    display: "fullscreen",
    orientation: "landscape",
    background_color: "#070b10",
    theme_color: "#070b10",
    icons: [
      { src: "/icon.svg", sizes: "any", type: "image/svg+xml" },
      { src: "/icon-192.png", sizes: "192x192", type: "image/png" },
      { src: "/icon-512.png", sizes: "512x512", type: "image/png" },
    ],
  };
  return Response.json(manifest, { headers: { "content-type": "application/manifest+json" } });
}

/** A path segment decoded; a malformed escape is no board's name. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return "";
  }
}
