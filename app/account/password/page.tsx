import type { Metadata } from "next";
import { PasswordForm } from "~/components/ui/PasswordForm";

export const metadata: Metadata = { title: "Change password" };

export default async function PasswordPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const { next } = await searchParams;
  return <PasswordForm next={typeof next === "string" ? next : undefined} />;
}
