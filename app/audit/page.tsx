import type { Metadata } from "next";
import { Suspense } from "react";
import { AuditView } from "~/components/admin/AuditView";

export const metadata: Metadata = { title: "Audit log" };

// The filters live in the query string, read on the client.
export default function AuditPage() {
  return (
    <Suspense>
      <AuditView />
    </Suspense>
  );
}
