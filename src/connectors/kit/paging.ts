/**
 * Reading a paged list so that it proves it is whole. A listing is `complete` only when
 * every page agrees with what the server declared: totals (items, pages) that stay the
 * same from page to page and match the distinct ids that arrived, no empty or short page
 * before the end, no id twice, and — with `overlap` — each page starting on the previous
 * page's last item, which proves an offset did not move under us. Anything else makes it
 * incomplete, with a reason the run can show; the engine then infers no deletion from it.
 *
 * Signs that the list moved while it was read (an id twice, a changed total, a broken
 * overlap, a count mismatch) read it again from the start, up to `attempts` times.
 *
 * `checkPage` and `finishWalk` are the pure rules; `readPages` drives a page fetcher.
 */

export interface PageRequest {
  /** 0-based page number. */
  index: number;
  /** Items before this page (offset paging). */
  offset: number;
  /** The token or URL the previous page gave for this one (token and keyset paging). */
  token: string | null;
}

export interface Page<T> {
  items: T[];
  /** The server says no page follows (no next token or link, `lastPage: true`, `isLast`). */
  last: boolean;
  /** Token or URL of the next page. */
  next?: string | null;
  /** Items in the whole list, as the server declares it (X-Total-Count, `total`). */
  total?: number | null;
  /** Pages in the whole list, as declared (X-Total-Pages). */
  pages?: number | null;
  /** Items the page says it holds (Tempo's `metadata.count`). */
  count?: number | null;
}

export interface PagingSpec<T> {
  /** What is listed, for reasons: "Kimai timesheets". */
  what: string;
  /** How the next page is asked for: page number, offset, or the token the page gave. */
  style: 'page' | 'offset' | 'token';
  /** The page size asked for. */
  size: number;
  id(item: T): string;
  fetch(req: PageRequest): Promise<Page<T>>;
  /** The API may answer short or empty pages before the last (Google: a page may be short or empty yet have a token). */
  shortPages?: boolean;
  /** Offset paging: each page starts on the previous page's last item, which must come back first. */
  overlap?: boolean;
  /** Reads from the start when the list moved (default 3). */
  attempts?: number;
  /** A guard against a server that never ends (default 100,000 pages). */
  maxPages?: number;
  /** An error on a page after the first ends the listing as incomplete instead of failing it, when this says so. */
  softError?(err: unknown): boolean;
}

export interface Paged<T> {
  items: T[];
  complete: boolean;
  /** Why the listing is not complete; null when it is. */
  reason: string | null;
  /** How many times the list was read from the start (1 when nothing moved). */
  reads: number;
}

export interface Walk<T> {
  items: T[];
  ids: Set<string>;
  /** Totals the first page declared. */
  total: number | null;
  pages: number | null;
  /** Id of the previous page's last item (overlap). */
  anchor: string | null;
  next: PageRequest;
}

export type Step<T> =
  | { kind: 'next'; walk: Walk<T> }
  | { kind: 'done'; walk: Walk<T> }
  /** The list changed while it was read: read it again, or give up with this reason. */
  | { kind: 'moved'; reason: string }
  /** The server broke its own paging: give up with this reason. */
  | { kind: 'broken'; reason: string };

export function startWalk<T>(): Walk<T> {
  return { items: [], ids: new Set(), total: null, pages: null, anchor: null, next: { index: 0, offset: 0, token: null } };
}

const known = (n: number | null | undefined): n is number => typeof n === 'number' && Number.isFinite(n);

/** What one more page means for the walk: go on, stop (proven), or why not. */
export function checkPage<T>(spec: Pick<PagingSpec<T>, 'what' | 'style' | 'size' | 'id' | 'shortPages' | 'overlap'>, walk: Walk<T>, page: Page<T>): Step<T> {
  const req = walk.next;
  const n = req.index + 1;
  const first = req.index === 0;
  const total = first ? (known(page.total) ? page.total : null) : walk.total;
  const pages = first ? (known(page.pages) ? page.pages : null) : walk.pages;
  const of = pages !== null ? ` of ${pages}` : '';
  if (!first && known(page.total) && page.total !== walk.total) {
    return { kind: 'moved', reason: `the total of ${spec.what} changed from ${walk.total ?? 'none'} to ${page.total} between page ${n - 1} and page ${n}` };
  }
  if (!first && known(page.pages) && page.pages !== walk.pages) {
    return { kind: 'moved', reason: `the page count of ${spec.what} changed from ${walk.pages ?? 'none'} to ${page.pages} at page ${n}` };
  }
  if (known(page.count) && page.count !== page.items.length) {
    return { kind: 'broken', reason: `page ${n}${of} of ${spec.what} said it held ${page.count} items but held ${page.items.length}` };
  }
  let fresh = page.items;
  if (spec.overlap && !first) {
    const head = fresh[0];
    if (head === undefined || spec.id(head) !== walk.anchor) {
      return {
        kind: 'moved',
        reason: `page ${n} of ${spec.what} did not start on the last item of page ${n - 1} (expected ${walk.anchor}, got ${head === undefined ? 'nothing' : spec.id(head)}): the list moved under offset paging`,
      };
    }
    fresh = fresh.slice(1);
  }
  const ids = new Set(walk.ids);
  for (const item of fresh) {
    const id = spec.id(item);
    if (ids.has(id)) return { kind: 'moved', reason: `${spec.what} ${id} arrived twice (again on page ${n}): the list moved under paging` };
    ids.add(id);
  }
  const items = [...walk.items, ...fresh];
  const last = page.last || (pages !== null && n >= pages);
  const base: Walk<T> = { items, ids, total, pages, anchor: walk.anchor, next: req };
  if (last) return finishWalk(spec, base, n);
  const expected = total !== null ? `the total said ${total}` : 'the server said more would follow';
  if (page.items.length === 0 && !spec.shortPages) {
    return { kind: 'broken', reason: `page ${n}${of} of ${spec.what} came back empty while ${expected}` };
  }
  if (page.items.length < spec.size && !spec.shortPages) {
    return {
      kind: 'broken',
      reason: `page ${n}${of} of ${spec.what} held ${page.items.length} items, fewer than the page size ${spec.size}, yet was not the last`,
    };
  }
  if (spec.overlap && page.items.length < 2) {
    return { kind: 'broken', reason: `page ${n} of ${spec.what} held ${page.items.length} item(s): too few to check that the next page follows on` };
  }
  if (spec.style === 'token' && !page.next) {
    return { kind: 'broken', reason: `page ${n} of ${spec.what} said more would follow but gave no next page token` };
  }
  const step = spec.overlap ? page.items.length - 1 : page.items.length;
  const lastItem = page.items[page.items.length - 1];
  return {
    kind: 'next',
    walk: {
      ...base,
      anchor: spec.overlap && lastItem !== undefined ? spec.id(lastItem) : null,
      next: { index: req.index + 1, offset: req.offset + step, token: page.next ?? null },
    },
  };
}

/** The end of the list: complete only if the distinct ids match the declared total and page count. */
export function finishWalk<T>(spec: Pick<PagingSpec<T>, 'what'>, walk: Walk<T>, n: number): Step<T> {
  if (walk.pages !== null && n < walk.pages) {
    return { kind: 'broken', reason: `${spec.what} ended at page ${n} while the server declared ${walk.pages} pages` };
  }
  if (walk.total !== null && walk.ids.size !== walk.total) {
    return { kind: 'moved', reason: `${walk.ids.size} distinct ${spec.what} arrived in ${n} page(s), but the total said ${walk.total}` };
  }
  return { kind: 'done', walk };
}

/** Read every page, proving completeness; see the module comment. */
export async function readPages<T>(spec: PagingSpec<T>): Promise<Paged<T>> {
  const attempts = Math.max(1, spec.attempts ?? 3);
  const maxPages = spec.maxPages ?? 100_000;
  let reason = '';
  let walk = startWalk<T>();
  for (let read = 1; read <= attempts; read++) {
    walk = startWalk<T>();
    let outcome: Step<T> | null = null;
    while (outcome === null) {
      if (walk.next.index >= maxPages) return incomplete(walk, `${spec.what} did not end within ${maxPages} pages`, read);
      let page: Page<T>;
      try {
        page = await spec.fetch(walk.next);
      } catch (err) {
        if (walk.next.index === 0 || !spec.softError?.(err)) throw err;
        return incomplete(walk, `page ${walk.next.index + 1} of ${spec.what} failed: ${err instanceof Error ? err.message : String(err)}`, read);
      }
      const step = checkPage(spec, walk, page);
      if (step.kind === 'next') walk = step.walk;
      else outcome = step;
    }
    if (outcome.kind === 'done') return { items: outcome.walk.items, complete: true, reason: null, reads: read };
    if (outcome.kind === 'broken') return incomplete(walk, outcome.reason, read);
    reason = outcome.reason;
  }
  return incomplete(walk, attempts > 1 ? `${reason} (read ${attempts} times, it kept moving)` : reason, attempts);
}

function incomplete<T>(walk: Walk<T>, reason: string, reads: number): Paged<T> {
  return { items: walk.items, complete: false, reason, reads };
}
