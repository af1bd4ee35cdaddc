"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent, type RefObject } from "react";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { useConfirm } from "~/components/ui/confirm";
import { errorMessage } from "~/components/ui/errors";
import { AdminFrame, PageHead } from "./AdminFrame";
import { NameField } from "./fields";
import { ShownOnce } from "./ShownOnce";
import { TokenTable } from "./TokensView";

type Board = RouterOutputs["boards"]["list"][number];

const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Kiosk boards (server admins): which sites a wall screen shows, and the tokens that open it. */
export function BoardsView() {
  return <AdminFrame title="Kiosk boards" admin>{() => <Boards />}</AdminFrame>;
}

function Boards() {
  const trpc = useTRPC();
  const boards = useQuery(trpc.boards.list.queryOptions());
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const [editing, setEditing] = useState<Board | null>(null);
  const [shown, setShown] = useState<{ board: string; name: string; url: string } | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  return (
    <>
      <PageHead title="Kiosk boards">
        A board is a wall screen for a room: it shows the runs of its sites, large, without signing in. Open it on the screen with the kiosk URL of one of
        its tokens.
      </PageHead>
      {shown && (
        <ShownOnce title={`Kiosk URL for “${shown.name}”`} value={shown.url} valueLabel={`Kiosk URL of board ${shown.board}`} onDone={() => setShown(null)} testId="kiosk-url">
          <p className="muted">
            Open this address on the wall screen&apos;s browser (full screen, e.g. <code>chromium --kiosk &lt;URL&gt;</code>). The token after <code>#</code> never leaves that
            browser in a URL; it reads board <code>{shown.board}</code> and nothing else.
          </p>
        </ShownOnce>
      )}
      <BoardForm
        key={editing?.slug ?? "new"}
        board={editing}
        formRef={formRef}
        onDone={() => setEditing(null)}
      />
      <section aria-labelledby="boards-title" className="stack">
        <div className="adm-card-head" style={{ marginBottom: 0 }}>
          <h2 id="boards-title">Boards</h2>
          {boards.data && <span className="badge">{boards.data.length}</span>}
        </div>
        {boards.error && (
          <div className="notice error" role="alert">
            Could not load boards: {errorMessage(boards.error)}
          </div>
        )}
        {boards.data && !boards.data.length && <p className="card adm-empty">No boards yet. Create one above, then make a kiosk token for it.</p>}
        <ul className="adm-boards">
          {boards.data?.map((b) => (
            <BoardCard
              key={b.slug}
              board={b}
              tokens={(tokens.data ?? []).filter((t) => t.kind === "kiosk" && t.board === b.slug)}
              onEdit={() => {
                setEditing(b);
                formRef.current?.scrollIntoView({ block: "start", behavior: "smooth" });
              }}
              onToken={(name, url) => setShown({ board: b.slug, name, url })}
            />
          ))}
        </ul>
      </section>
    </>
  );
}

function BoardForm({ board, formRef, onDone }: { board: Board | null; formRef: RefObject<HTMLFormElement | null>; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sites = useQuery(trpc.sites.list.queryOptions());
  const [slug, setSlug] = useState(board?.slug ?? "");
  const [title, setTitle] = useState(board?.title ?? "");
  const [chosen, setChosen] = useState<string[]>(board?.sites ?? []);
  const [saved, setSaved] = useState<string | null>(null);
  const save = useMutation(trpc.boards.save.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.boards.list.queryKey() }) }));
  const firstRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (board) firstRef.current?.focus();
  }, [board]);

  const slugOk = slug === "" || SLUG.test(slug);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    save.mutate(
      { slug, title: title.trim(), sites: chosen },
      {
        onSuccess: () => {
          setSaved(board ? `Board ${slug} saved.` : `Board ${slug} created. Make a kiosk token for it below.`);
          if (!board) {
            setSlug("");
            setTitle("");
            setChosen([]);
          } else onDone();
        },
      },
    );
  };

  return (
    <form className="card adm-form" onSubmit={submit} ref={formRef} aria-labelledby="board-form-title" data-testid="board-form">
      <h2 id="board-form-title">{board ? `Edit board ${board.slug}` : "New board"}</h2>
      <div className="adm-fields">
        <NameField
          label="Id"
          rule="In the kiosk URL: letters, digits, “.”, “_” or “-”"
          value={slug}
          onChange={setSlug}
          valid={slugOk}
          placeholder="noc-wall"
          maxLength={63}
          disabled={!!board}
          testId="board-slug"
        />
        <label className="field">
          Title
          <input ref={firstRef} type="text" value={title} onChange={(e) => setTitle(e.target.value)} placeholder="Network operations" required maxLength={200} data-testid="board-title" />
          <span className="hint">Shown large at the top of the screen.</span>
        </label>
      </div>
      <fieldset className="adm-site-checks">
        <legend>Sites on the board</legend>
        {sites.data?.map((s) => (
          <label key={s.slug} className="adm-check">
            <input
              type="checkbox"
              checked={chosen.includes(s.slug)}
              onChange={(e) => setChosen((c) => (e.target.checked ? [...c, s.slug] : c.filter((x) => x !== s.slug)))}
              data-testid={`board-site-${s.slug}`}
            />
            <span>
              {s.name} <span className="hint mono">{s.slug}</span>
            </span>
          </label>
        ))}
        {sites.data && !sites.data.length && <span className="muted">No sites yet.</span>}
      </fieldset>
      {save.error && (
        <div className="notice error" role="alert">
          {errorMessage(save.error)}
        </div>
      )}
      {saved && !save.error && (
        <div className="notice info" role="status">
          {saved}
        </div>
      )}
      <div className="row">
        <button className="btn primary" disabled={!slug || !slugOk || !title.trim() || !chosen.length || save.isPending} data-testid="board-save">
          {save.isPending ? "Saving…" : board ? "Save board" : "Create board"}
        </button>
        {board && (
          <button type="button" className="btn" onClick={onDone}>
            Cancel
          </button>
        )}
        {!chosen.length && <span className="muted">Choose at least one site.</span>}
      </div>
    </form>
  );
}

function BoardCard({ board, tokens, onEdit, onToken }: { board: Board; tokens: RouterOutputs["tokens"]["list"]; onEdit: () => void; onToken: (name: string, url: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { ask, dialog } = useConfirm();
  const del = useMutation(trpc.boards.delete.mutationOptions({ onSuccess: () => queryClient.invalidateQueries() }));
  const create = useMutation(trpc.tokens.createKiosk.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() }) }));
  const [name, setName] = useState("");
  const active = tokens.filter((t) => !t.revokedAt).length;

  const confirmDelete = () =>
    ask({
      title: `Delete the board ${board.slug}?`,
      body: (
        <p>
          “{board.title}” disappears, and its {active === 1 ? "kiosk token stops" : `${active} kiosk tokens stop`} working: screens showing it say that they need a new
          token.
        </p>
      ),
      confirmLabel: "Delete board",
      danger: true,
      run: () => del.mutateAsync({ slug: board.slug }),
    });

  return (
    <li className="card adm-board" data-testid={`board-${board.slug}`} aria-labelledby={`board-${board.slug}-title`}>
      <div className="adm-board-head">
        <h2 id={`board-${board.slug}-title`}>{board.title}</h2>
        <span className="mono muted">{board.slug}</span>
        <span className="grow" />
        <a className="btn small" href={`/kiosk/${encodeURIComponent(board.slug)}`} target="_blank" rel="noreferrer" title="Opens the board with your session (a preview; a wall screen uses a kiosk token)">
          Preview <span aria-hidden="true">↗</span>
        </a>
        <button type="button" className="btn small" onClick={onEdit} aria-label={`Edit board ${board.slug}`}>
          Edit
        </button>
        <button type="button" className="btn small adm-danger-ghost" onClick={confirmDelete} aria-label={`Delete board ${board.slug}`}>
          Delete…
        </button>
      </div>
      <div className="adm-board-sites">
        <span className="muted">Sites:</span>
        {board.sites.map((s) => (
          <a key={s} className="badge" href={`/sites/${encodeURIComponent(s)}/runs`}>
            {s}
          </a>
        ))}
      </div>
      <div className="adm-kiosk-tokens">
        <h3>Kiosk tokens</h3>
        <TokenTable tokens={tokens} showOwner={false} showTarget={false} empty="" testId={`board-tokens-${board.slug}`} />
        <form
          className="adm-inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate(
              { name: name.trim(), board: board.slug },
              {
                onSuccess: (r) => {
                  onToken(name.trim(), `${window.location.origin}/kiosk/${encodeURIComponent(board.slug)}#token=${r.token}`);
                  setName("");
                  window.scrollTo({ top: 0, behavior: "smooth" });
                },
              },
            );
          }}
        >
          <label className="sr-only" htmlFor={`kiosk-name-${board.slug}`}>
            Name of the new kiosk token for {board.slug}
          </label>
          <input
            id={`kiosk-name-${board.slug}`}
            type="text"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="Screen name, e.g. NOC TV left"
            maxLength={100}
            required
            data-testid={`kiosk-token-name-${board.slug}`}
          />
          <button className="btn" disabled={!name.trim() || create.isPending} data-testid={`kiosk-token-create-${board.slug}`}>
            {create.isPending ? "Creating…" : "New kiosk token"}
          </button>
          {!tokens.length && <span className="muted">No token yet: a screen needs one to open the board.</span>}
        </form>
        {create.error && (
          <div className="notice error" role="alert">
            {errorMessage(create.error)}
          </div>
        )}
      </div>
      {dialog}
    </li>
  );
}
