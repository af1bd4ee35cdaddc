import { FilesView } from "~/components/site/FilesView";

export default async function FilesPage({ params }: { params: Promise<{ path?: string[] }> }) {
  const { path } = await params;
  return <FilesView path={path?.map(decodeURIComponent).join("/")} />;
}
