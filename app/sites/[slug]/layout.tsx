import type { ReactNode } from "react";
import { SiteFrame } from "~/components/site/SiteFrame";
import { SiteWorkspace } from "~/components/site/workspace";

export default async function SiteLayout({ children, params }: { children: ReactNode; params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return (
    <SiteWorkspace slug={slug}>
      <SiteFrame>{children}</SiteFrame>
    </SiteWorkspace>
  );
}
