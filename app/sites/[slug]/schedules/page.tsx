import { SchedulesView } from "./SchedulesView";

export default function SchedulesPage() {
  return <SchedulesView />;
}
