// The dashboard's own browser code: locks htmx down, draws the uPlot charts from columnar JSON, and
// runs live mode: every refresh interval the panels and charts reload (the server moves the window
// with the clock); paused by the Live button, and while the tab is hidden.
// Plain JS typed with JSDoc and checked by `tsc --checkJs` (tsconfig.public.json); served from
// public/dashboard.js, which `prepare` (scripts/copy-assets.mjs) writes without comments or layout.
// @ts-check

/** @typedef {{ t: number[] } & Record<string, Array<number | null>>} Columns */
/** @typedef {{ name: string, values: Array<number | null> }} Series */
/** @typedef {{ t: number[], series: Series[] }} SeriesList */
/** @typedef {import('uplot')} UPlot */

(() => {
  'use strict';

  /** @type {any} */
  const w = window;

  // htmx 4 evaluates strings (hx-on, js: values) with Function and re-runs <script> tags found in
  // swapped HTML. Our pages need neither, so both are switched off: a stranger's string in the
  // data can never become code, and the page runs under a CSP without 'unsafe-eval'.
  const refuse = function () {
    return { call: () => { throw new Error('bun-apm: evaluating strings is disabled'); } };
  };
  w.htmx?.registerExtension('bun-apm-no-eval', {
    /** @param {{ initSecurity: (tt: object, fn: Function, asyncFn: Function) => void }} api */
    init(api) {
      api.initSecurity({ createHTML: (/** @type {string} */ s) => s, createScript: () => '' }, refuse, refuse);
    },
  });
  // htmx swaps an error's body like any other: a refusal's JSON would replace the panel for good.
  // Any 4xx or 5xx leaves the panel as it was (the next tick tries again).
  w.htmx?.config.noSwap.push('4xx', '5xx');
  // No settle step: it copies class and style between elements of the same id (the controls have ids
  // so that the focus comes back to them), and a style set from script is refused by the CSP.
  if (w.htmx) w.htmx.config.defaultSettleDelay = 0;

  // Kept to 0.5 s..1 day: setInterval takes a longer delay (past 2^31 - 1 ms) as 0 and floods the server.
  const refreshMs = Math.min(Math.max(Number(document.body.dataset.refreshMs) || 5000, 500), 864e5);
  /** @type {typeof import('uplot')} */
  const uPlot = w.uPlot;
  const sync = uPlot.sync('bun-apm');
  /** @type {Map<Element, { plot: UPlot, keys: string[] }>} */
  const charts = new Map();

  /** @param {string} name */
  function cssColor(name) {
    return getComputedStyle(document.body).getPropertyValue(name).trim() || '#888';
  }

  // Charts speak as the rest of the page does: times in UTC (in the browser's zone they showed another
  // hour, even another day, with no zone named: a review), numbers as the server writes them (uPlot's
  // own follow the browser's locale: "0,029" beside "2.08 ms", Arabic-Indic digits beside Latin).
  const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });
  /** @param {number | null | undefined} v */
  const number = (v) => (v == null ? '–' : NUMBER.format(v));
  /** @param {number} n */
  const two = (n) => String(n).padStart(2, '0');
  /** @param {number} seconds */
  const utcDay = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 10);
  /** @param {number} seconds @param {boolean} [withSeconds] */
  function utcTime(seconds, withSeconds) {
    const d = new Date(seconds * 1000);
    return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}${withSeconds ? `:${two(d.getUTCSeconds())}` : ''}Z`;
  }
  /** The time axis: each tick's UTC time, its day under the first and wherever the day changes. @param {UPlot} _u @param {number[]} splits */
  const timeTicks = (_u, splits) => splits.map((s, i) => (i === 0 || utcDay(s) !== utcDay(/** @type {number} */ (splits[i - 1])) ? `${utcTime(s)}\n${utcDay(s)}` : utcTime(s)));

  const PALETTE = ['--series-1', '--series-2', '--series-3', '--series-4', '--series-5', '--series-6'];
  /** Status classes keep meaning-bearing colours whatever their order. */
  /** @type {Record<string, string>} */
  const FIXED = { '2xx': '--ok', '3xx': '--series-2', '4xx': '--warn', '5xx': '--bad', errorRate: '--bad' };

  /** @param {Element} el @returns {Promise<Columns | SeriesList | null>} */
  async function load(el) {
    const src = el.getAttribute('data-src');
    if (!src) return null;
    // X-Requested-With: a script's request, which the server never answers with a password prompt.
    const response = await fetch(src, { credentials: 'same-origin', headers: { accept: 'application/json', 'x-requested-with': 'fetch' } });
    if (response.status === 401) signedOut();
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return /** @type {Columns | SeriesList} */ (await response.json());
  }

  /**
   * The series to draw, by label. A System chart lists its instances (listed, not keyed: one may be
   * called `t` or `__proto__`); the request charts name their columns.
   * @param {Element} el @param {Columns | SeriesList} data @returns {Series[]}
   */
  function seriesOf(el, data) {
    const list = /** @type {SeriesList} */ (data).series;
    const columns = /** @type {Columns} */ (data);
    const listed = el.getAttribute('data-series');
    if (!listed && Array.isArray(list)) return list;
    const keys = listed ? listed.split(',') : Object.keys(data).filter((k) => k !== 't');
    return keys.map((name) => ({ name, values: columns[name] ?? data.t.map(() => null) }));
  }

  /**
   * Indices of values with no value on either side: a line can't show them, so they get a dot
   * (a fresh app's first bucket, a lone burst in a long range).
   * @param {ArrayLike<number | null | undefined>} ys
   */
  function isolated(ys) {
    /** @type {number[]} */
    const out = [];
    for (let i = 0; i < ys.length; i++) {
      if (ys[i] != null && ys[i - 1] == null && ys[i + 1] == null) out.push(i);
    }
    return out.length > 0 ? out : null;
  }

  /** @param {Element} el @param {Columns | SeriesList} data */
  function draw(el, data) {
    const series = seriesOf(el, data);
    const keys = series.map((s) => s.name);
    const columns = /** @type {uPlot.AlignedData} */ ([data.t, ...series.map((s) => s.values)]);
    // How many buckets hold data, and the time span drawn: what a reader (or a test) can check.
    el.setAttribute('data-points', String(data.t.filter((_, i) => series.some((s) => s.values[i] != null)).length));
    el.setAttribute('data-span', `${data.t[0] ?? ''}..${data.t[data.t.length - 1] ?? ''}`);
    describe(el, data.t, series);
    const existing = charts.get(el);
    if (existing && JSON.stringify(existing.keys) === JSON.stringify(keys)) {
      existing.plot.setData(columns);
      return;
    }
    existing?.plot.destroy();
    const width = Math.max(240, el.clientWidth);
    const plot = new uPlot(
      {
        width,
        height: 180,
        cursor: { sync: { key: sync.key } },
        legend: { live: true },
        scales: { x: { time: true } },
        // Ticks placed on UTC's hours and days, not the browser's (Kolkata's fall on the half hour).
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        axes: [
          { stroke: cssColor('--muted'), grid: { stroke: cssColor('--grid') }, values: timeTicks },
          { stroke: cssColor('--muted'), grid: { stroke: cssColor('--grid') }, size: 56, values: (_u, splits) => splits.map(number) },
        ],
        series: [
          { value: (_u, v) => (v == null ? '–' : `${utcDay(v)} ${utcTime(v, true)}`) },
          ...keys.map((key, i) => ({
            label: key,
            value: (/** @type {UPlot} */ _u, /** @type {number | null} */ v) => number(v),
            stroke: cssColor((Object.hasOwn(FIXED, key) ? FIXED[key] : PALETTE[i % PALETTE.length]) ?? '--series-1'),
            width: 1.5,
            // Profiles come every few seconds per instance, so join them; request buckets show gaps.
            spanGaps: (el.getAttribute('data-chart') ?? '').startsWith('system-'),
            // Where uPlot's density rule hides the dots, still dot the values a line can't draw.
            points: {
              /** @type {(u: UPlot, seriesIdx: number, show: boolean) => number[] | null} */
              filter: (u, seriesIdx, show) => (show ? null : isolated(u.data[seriesIdx] ?? [])),
            },
          })),
        ],
      },
      columns,
      /** @type {HTMLElement} */ (el),
    );
    el.setAttribute('data-drawn', 'true');
    charts.set(el, { plot, keys });
  }

  /**
   * The chart in words, for a screen reader (a canvas says nothing, and uPlot's legend only fills in
   * under a mouse: a review): each series' latest and highest value in the range drawn.
   * @param {Element} el @param {number[]} t @param {Series[]} series
   */
  function describe(el, t, series) {
    const caption = el.closest('figure')?.querySelector('figcaption')?.textContent ?? 'Chart';
    const at = (/** @type {number} */ i) => utcTime(t[i] ?? 0);
    const parts = series.map(({ name, values }) => {
      let last = -1;
      let top = -1;
      values.forEach((v, i) => {
        if (v == null) return;
        last = i;
        if (top < 0 || v > /** @type {number} */ (values[top])) top = i;
      });
      return last < 0 ? `${name}: no data` : `${name}: latest ${round(values[last])} at ${at(last)}, highest ${round(values[top])} at ${at(top)}`;
    });
    el.setAttribute('role', 'img');
    el.setAttribute('aria-label', `${caption}. ${parts.join('; ')}.`);
  }

  /** @param {number | null | undefined} v */
  function round(v) {
    return v == null ? '–' : NUMBER.format(Math.round(v * 100) / 100);
  }

  /** @param {Element} el */
  async function refresh(el) {
    try {
      const data = await load(el);
      if (data) draw(el, data);
      el.removeAttribute('data-error');
    } catch (error) {
      el.setAttribute('data-error', String(/** @type {Error} */ (error).message));
    }
  }

  function refreshAll() {
    for (const el of document.querySelectorAll('[data-chart]')) void refresh(el);
  }

  addEventListener('resize', () => {
    for (const [el, { plot }] of charts) plot.setSize({ width: Math.max(240, el.clientWidth), height: 180 });
  });

  // The page's address keeps what the panels show: the routes' sort and the traces' filters change
  // by fragment, and each panel says which query parameters it owns and their values
  // (data-page-owns, data-page-params). After every swap they are copied into the address (so a
  // reload or a shared link shows the same page) and into the page's links (ranges, traces). A
  // trace's page shows no panel: it names them (data-page-keeps) and its links keep the address's.
  function syncAddress() {
    const targets = [new URL(location.href)];
    const links = /** @type {HTMLAnchorElement[]} */ ([...document.querySelectorAll('a[data-page-link]')]);
    for (const link of links) targets.push(new URL(link.href));
    /** @type {Array<[string | null, URLSearchParams]>} */
    const owners = [];
    for (const panel of document.querySelectorAll('[data-page-owns]')) {
      owners.push([panel.getAttribute('data-page-owns'), new URLSearchParams(panel.getAttribute('data-page-params') ?? '')]);
    }
    for (const keeper of document.querySelectorAll('[data-page-keeps]')) owners.push([keeper.getAttribute('data-page-keeps'), new URL(location.href).searchParams]);
    for (const [names, values] of owners) {
      for (const name of (names ?? '').split(' ').filter(Boolean)) {
        const value = values.get(name);
        for (const url of targets) value === null ? url.searchParams.delete(name) : url.searchParams.set(name, value);
      }
    }
    const [page, ...rest] = targets;
    if (page && page.href !== location.href) history.replaceState(history.state, '', page);
    rest.forEach((url, i) => { if (links[i] && links[i].href !== url.href) links[i].href = url.href; });
  }
  const main = document.querySelector('main');
  if (main) new MutationObserver(syncAddress).observe(main, { childList: true, subtree: true });

  // Live mode. Panels reload on an `apm-refresh` event (their hx-trigger), so one timer here drives
  // everything and a hidden or paused page sends nothing.
  const toggle = document.querySelector('[data-live-toggle]');
  const label = document.querySelector('[data-live-label]');
  const status = document.querySelector('[data-live-state]');
  let live = true;
  let ended = false;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;

  function visible() {
    return document.visibilityState === 'visible';
  }

  function showState() {
    const mode = ended ? 'ended' : !live ? 'paused' : visible() ? 'live' : 'hidden';
    document.body.setAttribute('data-live', mode);
    toggle?.setAttribute('aria-pressed', String(live));
    if (label) label.textContent = ended ? 'Stopped' : live ? 'Live' : 'Paused';
    if (status) {
      status.textContent = mode === 'live' ? `refreshing every ${Math.round(refreshMs / 100) / 10} s`
        : mode === 'hidden' ? 'paused while the tab is hidden' : ended ? 'stopped: your session ended' : 'paused: the window stays where it was';
    }
  }

  // A refresh refused for want of a session (signed out in another tab, the cookie expired): every
  // later one would be too, so live mode stops, the panels keep what they show, and one notice
  // leads to the sign-in, which comes back to this page.
  function signedOut() {
    if (ended) return;
    ended = true;
    live = false;
    clearInterval(timer);
    toggle?.setAttribute('disabled', '');
    showState();
    // Nothing will be tried again: a line saying so would be false.
    for (const line of document.querySelectorAll('.trouble')) line.remove();
    const link = document.createElement('a');
    link.href = `${document.body.dataset.signIn}?next=${encodeURIComponent(location.pathname + location.search)}`;
    link.textContent = 'Sign in again';
    notice('session-ended').append('Your session ended. ', link);
  }
  /** A line at the top of the page, read out when it comes (role=alert). @param {string} className */
  function notice(className) {
    const line = document.createElement('p');
    line.className = className;
    line.setAttribute('role', 'alert');
    document.querySelector('main')?.prepend(line);
    return line;
  }
  /**
   * One line at the top saying what failed (an error no longer replaces a panel, so it would go
   * unseen): a refresh's while any panel's refresh keeps failing, an action's until another action
   * answers. Rewritten only when its words change: a screen reader reads it again on each change.
   * @param {'refresh' | 'action'} kind @param {string | null} text null: the line goes
   */
  function say(kind, text) {
    let line = document.querySelector(`.trouble[data-kind="${kind}"]`);
    if (text === null) return line?.remove();
    if (!line) {
      line = notice('session-ended trouble');
      line.setAttribute('data-kind', kind);
    }
    if (line.textContent !== text) line.textContent = text;
  }
  /** The panels whose last refresh failed, by id. */
  const failing = new Set();
  /** @param {EventTarget | null} from @param {string | null} problem null: it answered */
  function answered(from, problem) {
    const panel = from instanceof Element && from.matches('[hx-trigger="apm-refresh"]') ? from.id : null;
    if (panel === null) return say('action', problem === null ? null : `Not done (${problem}).`);
    if (problem !== null) {
      failing.add(panel);
      say('refresh', `Refresh failed (${problem}); the figures shown may be older. Trying again.`);
    } else if (failing.delete(panel) && failing.size === 0) say('refresh', null);
  }
  document.addEventListener('htmx:response:error', (event) => {
    const ctx = /** @type {CustomEvent} */ (event).detail?.ctx;
    const code = ctx?.response?.status;
    if (code === 401) return signedOut();
    let said = '';
    try {
      said = `: ${JSON.parse(ctx.text).error.message}`;
    } catch {}
    answered(event.target, `HTTP ${code}${said}`);
  });
  document.addEventListener('htmx:error', (event) => answered(event.target, 'the dashboard did not answer'));
  document.addEventListener('htmx:after:request', (event) => {
    if (/** @type {CustomEvent} */ (event).detail?.ctx?.response?.status < 400) answered(event.target, null);
  });
  // The focus stays where it was across a swap: on the same control in the new panel (the same
  // id, link or form), so a live refresh does not send a keyboard user back to the panel's start (a
  // review); on the panel itself when the control went with the swap (a resolved alert's Resolve).
  // Text typed and not yet applied stays too, focused or not: a live refresh, or the answer to a
  // request sent before the last keys (a checkbox's, a select's), would put the fields back as the
  // filters applied are (a review: Route typed, then Tab to Filter, emptied by a refresh).
  let held = '';
  /** @type {string | null} */
  let heldControl = null;
  /** @type {Map<string, string>} */
  let heldEdits = new Map();
  document.addEventListener('htmx:before:swap', (event) => {
    const target = /** @type {CustomEvent} */ (event).detail?.ctx?.target;
    const active = document.activeElement;
    held = target instanceof Element && target.contains(active) ? target.id : '';
    heldControl = held && active ? controlKey(active) : null;
    heldEdits = target instanceof Element ? editsIn(target) : new Map();
  });
  // A rule that starts firing is said by the page's one polite live region (the panels themselves
  // are not live: each refresh would be read out again): the alerts as they were, by id.
  const announcer = document.querySelector('[data-announce]');
  const firingNow = () => [...document.querySelectorAll('#alerts .alert.firing[data-alert-id]')];
  const alertId = (/** @type {Element} */ a) => a.getAttribute('data-alert-id') ?? '';
  let firing = new Set(firingNow().map(alertId));
  document.addEventListener('htmx:after:swap', () => {
    const now = firingNow();
    const started = now.filter((a) => !firing.has(alertId(a)));
    firing = new Set(now.map(alertId));
    if (announcer && started.length > 0) announcer.textContent = started.map((a) => `Alert firing: ${a.querySelector('.name')?.textContent ?? ''}`).join('. ');
  });
  document.addEventListener('htmx:after:swap', () => {
    for (const [id, value] of heldEdits) {
      const field = document.getElementById(id);
      if (field instanceof HTMLInputElement && field.value !== value) field.value = value;
    }
    heldEdits = new Map();
    const swapped = held ? document.getElementById(held) : null;
    const control = swapped && heldControl ? swapped.querySelector(heldControl) : null;
    // htmx gives the focus back to a control of the same id itself; the others are found here.
    const panel = document.activeElement === document.body ? swapped : null;
    held = '';
    heldControl = null;
    if (!panel) return;
    if (control instanceof HTMLElement) return control.focus({ preventScroll: true });
    panel.setAttribute('tabindex', '-1');
    panel.focus({ preventScroll: true });
  });

  /**
   * The text fields of `panel` (by id) whose text is not what the page drew: typed and not applied.
   * @param {Element} panel @returns {Map<string, string>}
   */
  function editsIn(panel) {
    const edits = new Map();
    for (const field of panel.querySelectorAll('input[id]')) {
      if (field instanceof HTMLInputElement && field.matches('[type="text"], [type="number"], [type="search"]') && field.value !== field.defaultValue) edits.set(field.id, field.value);
    }
    return edits;
  }

  /**
   * A selector for the same control in a panel drawn again: its id, a link's address, or a form's
   * button by the form's address and hidden values (each alert's Resolve). Null for anything else.
   * @param {Element} el @returns {string | null}
   */
  function controlKey(el) {
    if (el.id) return `#${CSS.escape(el.id)}`;
    const href = el.getAttribute('href');
    if (el.matches('a') && href) return `a[href="${CSS.escape(href)}"]`;
    const form = el.closest('form');
    if (!el.matches('button') || !form) return null;
    const hidden = [...form.querySelectorAll('input[type="hidden"]')].filter((i) => i.getAttribute('name') !== 'csrf');
    return `form${hidden.map((i) => `:has(input[name="${CSS.escape(i.getAttribute('name') ?? '')}"][value="${CSS.escape(i.getAttribute('value') ?? '')}"])`).join('')} button`;
  }

  function tick() {
    if (!live || !visible()) return;
    // A page opened before the app's first batch: once the tiles count a request, load it afresh
    // (the getting-started panel goes, the System panel and its instances come).
    const counted = Number(document.querySelector('[data-metric="requests"]')?.getAttribute('data-value') ?? 0);
    if (document.querySelector('.empty-state') && counted > 0) {
      location.reload();
      return;
    }
    for (const panel of document.querySelectorAll('[hx-trigger="apm-refresh"]')) {
      // A panel the user is typing in waits: its reload would replace the field under the cursor.
      if (!typingIn(panel)) panel.dispatchEvent(new Event('apm-refresh'));
    }
    refreshAll();
  }

  /** @param {Element} panel */
  function typingIn(panel) {
    return panel.contains(document.activeElement) && document.activeElement?.matches('input, select') === true;
  }

  // A panel's own refresh sent before the user focused one of its fields lands after: it is not
  // swapped in (the next tick after the field loses the focus brings the panel up to date). The
  // user's own requests (a sort, the form) come from elements inside the panel and swap as usual.
  document.addEventListener('htmx:before:swap', (event) => {
    const panel = event.target;
    if (panel instanceof Element && panel.matches('[hx-trigger="apm-refresh"]') && typingIn(panel)) event.preventDefault();
  });

  toggle?.addEventListener('click', () => {
    live = !live;
    showState();
    tick();
  });
  document.addEventListener('visibilitychange', () => {
    showState();
    tick(); // back in view: catch up at once rather than at the next interval
  });

  showState();
  syncAddress();
  refreshAll();
  timer = setInterval(tick, refreshMs);
})();
