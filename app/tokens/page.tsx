import type { Metadata } from "next";
import { TokensView } from "~/components/admin/TokensView";

export const metadata: Metadata = { title: "API tokens" };

export default function TokensPage() {
  return <TokensView />;
}
