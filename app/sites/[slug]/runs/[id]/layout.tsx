import type { Metadata } from "next";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { RunView } from "~/components/runs/RunView";

type Params = Promise<{ slug: string; id: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { id } = await params;
  return { title: `Run #${id}` };
}

/** The run view stays mounted while the URL moves between the run, a host and a step (the pages below are empty). */
export default async function RunLayout({ children, params }: { children: ReactNode; params: Params }) {
  const { slug, id } = await params;
  if (!/^[1-9]\d{0,15}$/.test(id)) notFound();
  return (
    <>
      <RunView slug={decodeURIComponent(slug)} id={Number(id)} />
      {children}
    </>
  );
}
