import { HistoryView } from "~/components/site/HistoryView";

export default function HistoryPage() {
  return <HistoryView />;
}
