import type { Metadata } from "next";
import { BoardsView } from "~/components/admin/BoardsView";

export const metadata: Metadata = { title: "Kiosk boards" };

export default function BoardsPage() {
  return <BoardsView />;
}
