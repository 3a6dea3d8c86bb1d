/**
 * The paging proof: simulated servers (page numbers with totals, offsets, tokens) whose
 * lists change or misbehave between pages. A listing is either complete and holds every
 * item that was live throughout, or incomplete with a reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readPages, type Page, type PageRequest, type PagingSpec } from '../../../src/connectors/kit/paging.js';

type Mutation = { beforePage: number; op: 'delete' | 'insert'; at: number };

/** A server over a mutable id list (ascending), answering in the given style. */
function server(initial: number[], size: number, style: 'page' | 'offset' | 'token', mutations: Mutation[] = []) {
  const rows = [...initial];
  let nextId = Math.max(0, ...initial) + 1;
  let served = 0;
  const fetch = async (req: PageRequest): Promise<Page<number>> => {
    for (const m of mutations.filter((x) => x.beforePage === served)) {
      if (m.op === 'delete' && rows.length) rows.splice(m.at % rows.length, 1);
      if (m.op === 'insert') rows.push(nextId++);
    }
    served++;
    const offset = style === 'page' ? req.index * size : style === 'offset' ? req.offset : Number(req.token ?? 0);
    const items = rows.slice(offset, offset + size);
    const more = offset + size < rows.length;
    if (style === 'page') return { items, last: !more, total: rows.length, pages: Math.max(1, Math.ceil(rows.length / size)) };
    if (style === 'offset') return { items, last: !more, count: items.length };
    return { items, last: !more, next: more ? String(offset + size) : null };
  };
  return { rows, fetch };
}

const spec = (
  fetch: PagingSpec<number>['fetch'],
  size: number,
  style: PagingSpec<number>['style'],
  extra: Partial<PagingSpec<number>> = {},
): PagingSpec<number> => ({
  what: 'items',
  style,
  size,
  id: String,
  fetch,
  ...extra,
});

const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('readPages: a list that does not change', () => {
  for (const style of ['page', 'offset', 'token'] as const) {
    it(`${style} paging reads every item once and is complete`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 2, max: 9 }), async (n, size) => {
          const s = server(ids(n), size, style);
          const r = await readPages(spec(s.fetch, size, style, { overlap: style === 'offset' }));
          assert.equal(r.complete, true, r.reason ?? '');
          assert.deepEqual(r.items, ids(n));
          assert.equal(r.reads, 1);
        }),
      );
    });
  }
});

describe('readPages: a list that changes between pages', () => {
  const mutation = fc.record({ beforePage: fc.integer({ min: 1, max: 8 }), op: fc.constantFrom('delete' as const, 'insert' as const), at: fc.nat(60) });

  it('offset paging with overlap: never complete while missing an item that stayed live', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 2, max: 7 }), fc.array(mutation, { maxLength: 4 }), async (n, size, ms) => {
        const s = server(ids(n), size, 'offset', ms);
        const r = await readPages(spec(s.fetch, size, 'offset', { overlap: true, attempts: 1 }));
        if (!r.complete) {
          assert.ok(r.reason);
          return;
        }
        const got = new Set(r.items);
        for (const id of s.rows.filter((x) => x <= n)) assert.ok(got.has(id), `live item ${id} missing from a complete listing`);
        assert.equal(got.size, r.items.length, 'no id twice');
      }),
    );
  });

  it('page numbers with totals: deletions between pages never give a complete listing missing a live item', async () => {
    const deletion = fc.record({ beforePage: fc.integer({ min: 1, max: 8 }), op: fc.constant('delete' as const), at: fc.nat(60) });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 2, max: 7 }), fc.array(deletion, { maxLength: 3 }), async (n, size, ms) => {
        const s = server(ids(n), size, 'page', ms);
        const r = await readPages(spec(s.fetch, size, 'page', { attempts: 1 }));
        if (!r.complete) {
          assert.ok(r.reason);
          return;
        }
        const got = new Set(r.items);
        for (const id of s.rows) assert.ok(got.has(id), `live item ${id} missing from a complete listing`);
      }),
    );
  });

  it('a list that moved once is read again and then complete', async () => {
    const s = server(ids(10), 3, 'offset', [{ beforePage: 2, op: 'delete', at: 0 }]);
    const r = await readPages(spec(s.fetch, 3, 'offset', { overlap: true }));
    assert.equal(r.complete, true, r.reason ?? '');
    assert.equal(r.reads, 2);
    assert.deepEqual(r.items, ids(10).slice(1));
  });

  it('an offset shift without overlap shows as a count mismatch against the total', async () => {
    const s = server(ids(10), 3, 'page', [{ beforePage: 1, op: 'delete', at: 0 }]);
    const r = await readPages(spec(s.fetch, 3, 'page', { attempts: 1 }));
    assert.equal(r.complete, false);
    assert.match(r.reason!, /total of items changed from 10 to 9 between page 1 and page 2/);
  });

  it('an id twice is a shift', async () => {
    const s = server(ids(10), 3, 'token', [{ beforePage: 1, op: 'insert', at: 0 }]);
    const fetch: PagingSpec<number>['fetch'] = async (req) => {
      const p = await s.fetch(req);
      // An insertion at the front: the server's page 2 repeats page 1's last item.
      return req.index === 1 ? { ...p, items: [3, ...p.items.slice(0, -1)] } : p;
    };
    const r = await readPages(spec(fetch, 3, 'token', { attempts: 1 }));
    assert.equal(r.complete, false);
    assert.match(r.reason!, /items 3 arrived twice \(again on page 2\)/);
  });
});

describe('readPages: servers that break their own paging', () => {
  /** 480 items in pages of 100 (5 pages), with page `bad` replaced. */
  const kimaiLike =
    (bad: number, replace: (items: number[]) => number[]) =>
    async (req: PageRequest): Promise<Page<number>> => {
      const items = ids(480).slice(req.index * 100, req.index * 100 + 100);
      return { items: req.index + 1 === bad ? replace(items) : items, last: req.index + 1 >= 5, total: 480, pages: 5 };
    };

  it('an empty page before the declared end', async () => {
    const r = await readPages(
      spec(
        kimaiLike(3, () => []),
        100,
        'page',
      ),
    );
    assert.equal(r.complete, false);
    assert.equal(r.reason, 'page 3 of 5 of items came back empty while the total said 480');
    assert.equal(r.reads, 1, 'a broken page is not a moving list: no re-read');
  });

  it('an empty last page with normal totals (200 [])', async () => {
    const r = await readPages(
      spec(
        kimaiLike(5, () => []),
        100,
        'page',
      ),
    );
    assert.equal(r.complete, false);
    assert.match(r.reason!, /400 distinct items arrived in 5 page\(s\), but the total said 480/);
  });

  it('a short page that is not the last', async () => {
    const r = await readPages(
      spec(
        kimaiLike(2, (x) => x.slice(0, 90)),
        100,
        'page',
      ),
    );
    assert.equal(r.complete, false);
    assert.equal(r.reason, 'page 2 of 5 of items held 90 items, fewer than the page size 100, yet was not the last');
  });

  it('short and empty pages are fine where the API allows them, but a token must follow', async () => {
    const pages: Page<number>[] = [
      { items: [1, 2], last: false, next: 'a' },
      { items: [], last: false, next: 'b' },
      { items: [3], last: true },
    ];
    const ok = await readPages(spec(async (req) => pages[req.index]!, 5, 'token', { shortPages: true }));
    assert.deepEqual([ok.complete, ok.items], [true, [1, 2, 3]]);
    const noToken = await readPages(spec(async (req) => ({ ...pages[req.index]!, next: null }), 5, 'token', { shortPages: true }));
    assert.equal(noToken.complete, false);
    assert.equal(noToken.reason, 'page 1 of items said more would follow but gave no next page token');
  });

  it('a page whose count disagrees with its items', async () => {
    const r = await readPages(spec(async () => ({ items: [1, 2], last: true, count: 3 }), 5, 'offset'));
    assert.equal(r.complete, false);
    assert.equal(r.reason, 'page 1 of items said it held 3 items but held 2');
  });

  it('an error on a later page is incomplete only when the spec says so; on the first page it fails', async () => {
    const failing = async (req: PageRequest): Promise<Page<number>> => {
      if (req.index === 1) throw new Error('HTTP 500');
      return { items: [1, 2], last: false, next: 'x' };
    };
    await assert.rejects(readPages(spec(failing, 2, 'token')), /HTTP 500/);
    const soft = await readPages(spec(failing, 2, 'token', { softError: () => true }));
    assert.deepEqual([soft.complete, soft.items, soft.reason], [false, [1, 2], 'page 2 of items failed: HTTP 500']);
    await assert.rejects(
      readPages(
        spec(
          async () => {
            throw new Error('down');
          },
          2,
          'token',
          { softError: () => true },
        ),
      ),
      /down/,
    );
  });

  it('a list that keeps moving gives up after the attempts, naming what moved', async () => {
    let total = 10;
    const r = await readPages(
      spec(async (req) => ({ items: ids(3).map((x) => x + req.index * 3), last: false, total: total++, pages: 4 }), 3, 'page', { attempts: 2 }),
    );
    assert.equal(r.complete, false);
    assert.equal(r.reads, 2);
    assert.match(r.reason!, /changed from \d+ to \d+ between page 1 and page 2 \(read 2 times, it kept moving\)/);
  });
});
