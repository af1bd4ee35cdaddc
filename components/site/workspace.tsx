"use client";

/**
 * The editing state of one site, kept above the site's pages so switching between files, hosts and history
 * never loses unsaved text. Unsaved buffers are linted live on the server (debounced) and saved together
 * as one revision.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { connect, watch } from "~/components/trpc/socket";
import { atLeast, type Role } from "~/components/ui/session";
import { useDebounced } from "~/components/ui/useDebounced";
import type { SiteRevisionEvent } from "~/server/broadcaster";

export type Diagnostic = RouterOutputs["files"]["lint"][number];

interface Workspace {
  slug: string;
  site: RouterOutputs["sites"]["get"] | undefined;
  /** The caller's role on the site (undefined while loading). */
  role: Role | undefined;
  /** Whether the caller's role includes `need`: pages hide what it cannot do (the server refuses it anyway). */
  can(need: Role): boolean;
  loadError: unknown;
  revision: number | undefined;
  paths: string[];
  contentOf(path: string): string | undefined;
  savedContentOf(path: string): string | undefined;
  setBuffer(path: string, content: string): void;
  discard(path?: string): void;
  dirty: string[];
  diagnostics: Diagnostic[];
  linting: boolean;
  save(input: { message: string }): Promise<{ number: number; errors: number }>;
  saving: boolean;
  /** A newer revision saved by someone else while this page was open. */
  remote: SiteRevisionEvent | null;
  reload(): void;
}

const Ctx = createContext<Workspace | null>(null);

export function useWorkspace(): Workspace {
  const w = useContext(Ctx);
  if (!w) throw new Error("useWorkspace outside SiteWorkspace");
  return w;
}

export function SiteWorkspace({ slug, children }: { slug: string; children: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const site = useQuery(trpc.sites.get.queryOptions({ slug }));
  const files = useQuery(trpc.files.list.queryOptions({ slug }));
  const [buffers, setBuffers] = useState<Record<string, string>>({});
  const [remote, setRemote] = useState<SiteRevisionEvent | null>(null);
  const revision = files.data?.revision;

  const saved = useMemo(() => new Map(files.data?.files.map((f) => [f.path, f.content])), [files.data]);
  const dirty = useMemo(() => Object.keys(buffers).filter((p) => buffers[p] !== saved.get(p)).sort(), [buffers, saved]);
  const paths = useMemo(() => [...new Set([...saved.keys(), ...Object.keys(buffers)])].sort(), [saved, buffers]);

  const changes = useMemo(() => dirty.map((path) => ({ path, content: buffers[path] ?? null })), [dirty, buffers]);
  const debouncedChanges = useDebounced(changes, 250);
  const lint = useQuery({
    ...trpc.files.lint.queryOptions({ slug, baseRevision: revision, changes: debouncedChanges }),
    enabled: revision !== undefined,
    placeholderData: (previous) => previous,
    staleTime: Infinity,
  });

  const saveMutation = useMutation(trpc.files.save.mutationOptions());
  const save = useCallback(
    async ({ message }: { message: string }) => {
      if (revision === undefined) throw new Error("the site is still loading");
      const result = await saveMutation.mutateAsync({ slug, baseRevision: revision, changes, message });
      await queryClient.invalidateQueries();
      setBuffers({});
      setRemote(null);
      return result;
    },
    [revision, saveMutation, slug, changes, queryClient],
  );

  // Someone else saved: refresh right away when nothing is unsaved here, otherwise say so and let the user choose.
  // A run of the site changed status: the runs lists and the Approvals badge refresh.
  const hasDirty = dirty.length > 0;
  useEffect(() => {
    const socket = connect();
    const runsChanged = () => {
      void queryClient.invalidateQueries({ queryKey: trpc.runs.list.queryKey({ slug }) });
      void queryClient.invalidateQueries({ queryKey: trpc.runs.review.queryKey() });
    };
    socket.on("connect", () => {
      watch(socket, { site: slug });
      runsChanged(); // after a reconnect, catch up on what changed meanwhile
    });
    socket.on("site.revision", (e) => {
      if (e.site !== slug) return;
      setRemote((current) => (current && current.revision >= e.revision ? current : e));
    });
    socket.on("site.runs", (e) => {
      if (e.site === slug) runsChanged();
    });
    return () => {
      socket.disconnect();
    };
  }, [slug, queryClient, trpc]);
  useEffect(() => {
    if (remote && revision !== undefined && remote.revision > revision && !hasDirty) {
      void queryClient.invalidateQueries();
    }
  }, [remote, revision, hasDirty, queryClient]);

  // Unsaved changes are never lost silently.
  useEffect(() => {
    if (!hasDirty) return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [hasDirty]);

  // Links that leave the site unmount this state: ask first instead of dropping edits.
  useEffect(() => {
    if (!hasDirty) return;
    const guard = (e: MouseEvent) => {
      const link = (e.target as Element | null)?.closest?.("a[href]");
      if (!(link instanceof HTMLAnchorElement) || link.target === "_blank" || link.hasAttribute("download")) return;
      const url = new URL(link.href, window.location.href);
      if (url.origin === window.location.origin && url.pathname.startsWith(`/sites/${slug}/`)) return;
      if (!window.confirm(`You have unsaved changes in ${dirty.join(", ")}. Leave and discard them?`)) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    document.addEventListener("click", guard, true);
    return () => document.removeEventListener("click", guard, true);
  }, [hasDirty, dirty, slug]);

  const value: Workspace = {
    slug,
    site: site.data,
    role: site.data?.role,
    can: (need) => atLeast(site.data?.role, need),
    loadError: site.error ?? files.error,
    revision,
    paths,
    contentOf: (path) => buffers[path] ?? saved.get(path),
    savedContentOf: (path) => saved.get(path),
    setBuffer: (path, content) => setBuffers((b) => (b[path] === content ? b : { ...b, [path]: content })),
    discard: (path) =>
      setBuffers((b) => {
        if (path === undefined) return {};
        const { [path]: _, ...rest } = b;
        return rest;
      }),
    dirty,
    diagnostics: lint.data ?? [],
    linting: lint.isFetching || debouncedChanges !== changes,
    save,
    saving: saveMutation.isPending,
    remote: remote && revision !== undefined && remote.revision > revision ? remote : null,
    reload: () => {
      setBuffers({});
      void queryClient.invalidateQueries();
    },
  };
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
