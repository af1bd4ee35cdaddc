import type { Metadata } from "next";
import type { ReactNode } from "react";
import { TRPCReactProvider } from "~/components/trpc/react";
import { SessionGate } from "~/components/ui/session";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Flightdeck", template: "%s · Flightdeck" },
  description: "Fleet inventory, deployments and live progress",
  // public/manifest.webmanifest; a kiosk board links its own (app/kiosk/[board]/manifest.webmanifest).
  manifest: "/manifest.webmanifest",
};

// Sets the theme before first paint, so a dark-mode user never sees a white flash.
const THEME_SCRIPT = `try{var t=localStorage.getItem("fd-theme")||(matchMedia("(prefers-color-scheme: dark)").matches?"dark":"light");document.documentElement.dataset.theme=t}catch(e){}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body>
        <TRPCReactProvider>
          <SessionGate>{children}</SessionGate>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
