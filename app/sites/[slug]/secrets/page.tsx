import { SecretsView } from "~/components/site/SecretsView";

export default function SecretsPage() {
  return <SecretsView />;
}
