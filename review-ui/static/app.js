// modgate reviewer app. Message text is attacker-controlled: every string
// from the API reaches the page through textContent / createTextNode /
// setAttribute on attributes we chose — never HTML parsing, never an href built
// from user data. The CSP (script-src 'self') is the second line of defence.
(function () {
  'use strict';

  // ---------- configuration (from the server-rendered <meta>) ----------
  const cfgEl = document.getElementById('modgate-config');
  const CFG = {
    base: cfgEl.dataset.base, api: cfgEl.dataset.api, admin: cfgEl.dataset.admin,
    csrf: cfgEl.dataset.csrf, user: cfgEl.dataset.user, role: cfgEl.dataset.role,
    events: cfgEl.dataset.events === 'true', poll: parseInt(cfgEl.dataset.poll, 10) || 4000,
  };
  // Labels, lanes, decision keys and the deployment's undo window come from
  // the server (GET /meta): Go is their single source. loadMeta fills these
  // before the first render.
  let LANES = [], LABELS = [], ACTION_LIST = [], UNDO_MS = 0, REVERSAL_S = 600;
  const ACTIONS = {}, ACTION_KEY = {}, META = { labels: {}, lanes: {}, confirm: {}, appeal: {} };
  function applyMeta(m) {
    LABELS = (m.labels || []).map(function (l) { return l.name; });
    LANES = (m.lanes || []).map(function (l) { return l.name; });
    ACTION_LIST = (m.actions || []).map(function (a) { return a.action; });
    UNDO_MS = Math.max(0, +m.undo_ms || 0);
    REVERSAL_S = +m.reversal_seconds || 600;
    for (const l of m.labels || []) META.labels[l.name] = l;
    for (const l of m.lanes || []) META.lanes[l.name] = l;
    for (const a of m.actions || []) {
      ACTIONS[a.key] = a.action; ACTION_KEY[a.action] = a.key;
      META.confirm[a.action] = !!a.confirm; META.appeal[a.action] = !!a.appeal;
    }
    // Label colours: rules added to our own stylesheet through the CSSOM
    // (allowed by the CSP, unlike inline styles).
    let sheet = null;
    for (const ss of document.styleSheets) { if (ss.href && /app\.css/.test(ss.href)) sheet = ss; }
    if (!sheet) return;
    for (const l of m.labels || []) {
      if (!/^[a-z_]{1,32}$/.test(l.name) || !/^#[0-9a-fA-F]{3,8}$/.test(l.colour || '')) continue;
      sheet.insertRule('.lbl-' + l.name + ', mark.lbl-' + l.name + ' { background: ' + l.colour + '; }', sheet.cssRules.length);
    }
  }
  function labelTitle(l) { const x = META.labels[l]; return x ? (lang === 'en' ? x.en : x.zh) : l; }
  const isLead = CFG.role === 'lead' || CFG.role === 'admin';
  const isAdmin = CFG.role === 'admin';

  let lang = localStorage.getItem('modgate.lang') || cfgEl.dataset.lang || 'zh';
  if (lang !== 'en') lang = 'zh';

  function t(key) {
    const dict = window.MODGATE_I18N[lang] || window.MODGATE_I18N.zh;
    let s = dict[key];
    if (s === undefined) s = window.MODGATE_I18N.zh[key];
    if (s === undefined) s = key;
    const args = Array.prototype.slice.call(arguments, 1);
    return s.replace(/\{(\d)\}/g, function (_, i) { return String(args[+i]); });
  }
  function laneName(l) { const x = META.lanes[l]; return x ? (lang === 'en' ? x.en : x.zh) : l; }
  function actionName(a) { const k = 'act.' + a; const s = t(k); return s === k ? a : s; }

  // ---------- DOM helpers: the only way nodes are made ----------
  // Invisible and direction-changing characters are shown as visible tokens:
  // a reviewer must see that a message hides something, and a bidi override
  // in a message must not reorder the page around it.
  const HIDDEN_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFF9-\uFFFB]/;
  function appendText(parent, str) {
    const cps = Array.from(str);
    let run = '';
    for (const c of cps) {
      if (HIDDEN_CHARS.test(c)) {
        if (run) { parent.appendChild(document.createTextNode(run)); run = ''; }
        const code = c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
        const s = document.createElement('span');
        s.className = 'ctl';
        s.textContent = 'U+' + code;
        s.title = 'invisible character U+' + code;
        parent.appendChild(s);
      } else {
        run += c;
      }
    }
    if (run) parent.appendChild(document.createTextNode(run));
    return parent;
  }
  function h(tag, attrs) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const k of Object.keys(attrs)) {
        const v = attrs[k];
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') appendText(el, String(v));
        else if (k === 'on') { for (const ev of Object.keys(v)) el.addEventListener(ev, v[ev]); }
        else if (k === 'data') { for (const d of Object.keys(v)) el.dataset[d] = String(v[d]); }
        else if (k === 'href' || k === 'action' || k === 'src') el.setAttribute(k, safeURL(v));
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (let i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { add(el, x); }); return; }
    if (typeof c === 'string' || typeof c === 'number') { appendText(el, String(c)); return; }
    el.appendChild(c);
  }
  // Links only ever point into this origin's API or app.
  function safeURL(u) {
    u = String(u);
    return (u.charAt(0) === '/' && u.charAt(1) !== '/') || u.charAt(0) === '#' ? u : '#';
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  const main = document.getElementById('main');
  const toastEl = document.getElementById('toast');
  const overlay = document.getElementById('overlay');

  // ---------- formatting ----------
  function fmtDur(ms) {
    let s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return t('time.s', s);
    let m = Math.floor(s / 60); s %= 60;
    if (m < 60) return t('time.m', m, s);
    let hh = Math.floor(m / 60); m %= 60;
    if (hh < 24) return t('time.h', hh, m);
    return t('time.d', Math.floor(hh / 24), hh % 24);
  }
  function fmtTime(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    if (isNaN(d)) return String(iso);
    return d.toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false });
  }
  function ageOf(iso) { const d = Date.parse(iso); return isNaN(d) ? 0 : Date.now() - d; }
  // An age that keeps counting: every element made by liveAge is updated by
  // one page-wide ticker.
  function liveAge(iso, cls) { return h('span', { class: 'age ' + (cls || ''), data: { since: iso || '' } }, fmtDur(ageOf(iso))); }
  setInterval(function () {
    document.querySelectorAll('[data-since]').forEach(function (el) {
      if (el.dataset.since) el.textContent = fmtDur(ageOf(el.dataset.since));
    });
  }, 1000);
  // Revisions are 64-hex hashes: 8 characters tell them apart; the title
  // keeps the whole.
  function shortRev(r) { return r ? h('code', { title: r, class: 'rev-id' }, String(r).slice(0, 8)) : h('code', null, '—'); }
  function labelClass(l) { return /^[a-z_]{1,32}$/.test(l) ? 'lbl-' + l : 'lbl-other'; }
  function labelChip(l) { return h('span', { class: 'chip ' + labelClass(l), text: l, title: labelTitle(l) }); }
  function tagChip(tg) { return h('span', { class: 'chip tag' }, '#' + tg); }

  // ---------- API ----------
  class APIError extends Error {
    constructor(status, code, msg, details) { super(msg); this.status = status; this.code = code; this.details = details; }
  }
  async function api(method, path, body, base) {
    const opts = { method: method, credentials: 'same-origin', headers: { 'Accept': 'application/json' } };
    if (method !== 'GET' && method !== 'HEAD') opts.headers['X-CSRF-Token'] = CFG.csrf;
    if (body !== undefined) {
      if (typeof body === 'string') { opts.headers['Content-Type'] = 'text/plain; charset=utf-8'; opts.body = body; }
      else { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
    }
    const res = await fetch((base || CFG.api) + path, opts);
    if (res.status === 401) {
      location.assign(CFG.base + '/login');
      throw new APIError(401, 'unauthorized', 'session expired');
    }
    let data = null;
    const ct = res.headers.get('Content-Type') || '';
    if (res.status !== 204 && ct.indexOf('json') >= 0) data = await res.json();
    else if (res.status !== 204 && ct.indexOf('text/plain') >= 0) data = await res.text();
    if (!res.ok) {
      const e = (data && data.error) || {};
      throw new APIError(res.status, e.code || String(res.status), e.message || res.statusText, e.details);
    }
    return { status: res.status, data: data };
  }
  function qs(obj) {
    const p = new URLSearchParams();
    for (const k of Object.keys(obj)) if (obj[k] !== '' && obj[k] !== undefined && obj[k] !== null) p.set(k, obj[k]);
    const s = p.toString();
    return s ? '?' + s : '';
  }
  function errText(e) { return e && e.message ? e.message : String(e); }
  function enc(s) { return encodeURIComponent(s); }

  // ---------- case accessors (wire type modgate.Case) ----------
  const C = {
    text: function (c) {
      if (S.unmasked && S.unmaskedFor === c.id && S.unmaskedText) return S.unmaskedText;
      return c.masked_text || '';
    },
    // Spans of earlier messages (message_id) belong to the context panel.
    matches: function (c) { return ((c.verdict && c.verdict.matches) || []).filter(function (m) { return !m.message_id; }); },
    reasons: function (c) { return (c.verdict && c.verdict.reasons) || []; },
    labels: function (c) { return c.labels && c.labels.length ? c.labels : ((c.verdict && c.verdict.labels) || []); },
    normalized: function (c) { return c.normalized || (c.verdict && c.verdict.normalized) || ''; },
    lease: function (c) { return c.lease || null; },
    token: function (c) { return (c.lease && c.lease.token) || ''; },
    mine: function (c) { return !!(c && c.lease && c.lease.holder === CFG.user && c.state === 'claimed' && Date.parse(c.lease.expires) > Date.now()); },
    sender: function (c) { return (c.message && c.message.sender && c.message.sender.id) || ''; },
    group: function (c) { return (c.message && c.message.group && c.message.group.id) || ''; },
    underAppeal: function (c) { return !!(c.appeal && !c.appeal.outcome); },
    claimable: function (c) { return c.state === 'open' || c.state === 'appealed' || (c.state === 'claimed' && c.lease && Date.parse(c.lease.expires) <= Date.now()); },
  };

  // take stores a CaseResponse ({case, unmasked, violations, strikes,
  // sender_cases, consequences, reversible_until}) as the current case.
  function take(resp) {
    if (!resp || !resp.case) return null;
    const prev = S.current;
    S.current = resp.case;
    if (resp.unmasked) {
      S.unmasked = true; S.unmaskedFor = resp.case.id; S.unmaskedText = (resp.case.message && resp.case.message.text) || '';
    } else if (!prev || prev.id !== resp.case.id) {
      S.unmasked = false; S.unmaskedFor = ''; S.unmaskedText = '';
    }
    const x = S.extra && prev && prev.id === resp.case.id ? S.extra : {};
    S.extra = {
      violations: resp.violations || x.violations || null, strikes: resp.strikes || x.strikes || [],
      senderCases: resp.sender_cases || x.senderCases || [], reversibleUntil: resp.reversible_until || null,
    };
    if (resp.consequences) S.cons = resp.consequences;
    else if (!prev || prev.id !== resp.case.id) S.cons = null;
    return resp.case;
  }

  // ---------- state ----------
  const S = {
    view: '', filters: { lane: '', label: '', tenant: '' }, cases: [], total: 0, offset: 0, sel: 0, stats: null,
    current: null, extra: {}, cons: null, consPromise: null, pending: null, showNorm: false,
    unmasked: false, unmaskedFor: '', unmaskedText: '', matchIdx: -1, reveal: false, banner: null,
    blur: localStorage.getItem('modgate.blur') === '1', charts: [], timers: [], leaving: false,
    search: { params: {}, result: null, sel: 0, picked: {} },
  };
  const PAGE = 50;

  // ---------- toasts ----------
  // An error toast is not replaced by a lesser one while it shows: a
  // failure must never be hidden by the "next case" message after it.
  let toastTimer = 0, toastKind = '', toastUntil = 0;
  function toast(msg, kind, ms) {
    kind = kind || '';
    if (toastKind === 'error' && kind !== 'error' && Date.now() < toastUntil && !toastEl.hidden) return;
    clear(toastEl);
    toastEl.className = 'toast ' + kind;
    add(toastEl, msg);
    toastEl.hidden = false;
    toastKind = kind;
    clearTimeout(toastTimer);
    const dur = ms === 0 ? 0 : (ms || (kind === 'error' ? 6000 : 3000));
    toastUntil = dur ? Date.now() + dur : Infinity;
    if (dur) toastTimer = setTimeout(function () { toastEl.hidden = true; toastKind = ''; }, dur);
  }
  function hideToast() { toastEl.hidden = true; clear(toastEl); toastKind = ''; clearTimeout(toastTimer); }

  // A banner stays in the case view until the reviewer acts: what went
  // wrong with a decision is never a toast that disappears.
  function setBanner(kind, text, caseId) {
    S.banner = { kind: kind, text: text, caseId: caseId || (S.current && S.current.id) || '' };
    const box = document.getElementById('case-banner');
    if (box) renderBanner(box);
  }
  function clearBanner() { S.banner = null; const box = document.getElementById('case-banner'); if (box) renderBanner(box); }
  function renderBanner(box) {
    clear(box);
    const b = S.banner;
    if (!b || !S.current || b.caseId !== S.current.id) { box.hidden = true; return; }
    box.hidden = false;
    box.className = 'banner ' + b.kind;
    add(box, b.text);
  }

  // ---------- top bar ----------
  function renderTop() {
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    const nav = clear(document.getElementById('nav'));
    const items = [['queue', 'nav.queue', '1'], ['search', 'nav.search', '4'], ['mine', 'nav.mine', '5']];
    if (isLead) items.splice(1, 0, ['dashboard', 'nav.dashboard', '2']);
    if (isAdmin) items.splice(2, 0, ['policy', 'nav.policy', '3']);
    for (const it of items) {
      nav.appendChild(h('a', { href: '#/' + it[0], class: 'navlink' + (S.view === it[0] ? ' active' : ''),
        'aria-current': S.view === it[0] ? 'page' : null, 'aria-keyshortcuts': it[2] }, t(it[1])));
    }
    const who = clear(document.getElementById('whoami'));
    add(who, CFG.user + ' · ' + t('role.' + CFG.role));
    document.getElementById('lang-toggle').textContent = t('lang.toggle');
    document.getElementById('logout').textContent = t('logout');
    const bt = document.getElementById('blur-toggle');
    bt.textContent = S.blur ? t('blur.on') : t('blur.off');
    bt.title = t('blur.title');
    bt.setAttribute('aria-pressed', S.blur ? 'true' : 'false');
    document.body.classList.toggle('wellbeing', S.blur);
  }
  document.getElementById('lang-toggle').addEventListener('click', function () {
    lang = lang === 'en' ? 'zh' : 'en';
    localStorage.setItem('modgate.lang', lang);
    document.cookie = 'modgate_lang=' + lang + '; path=/; SameSite=Strict; max-age=31536000';
    renderTop(); route();
  });
  document.getElementById('blur-toggle').addEventListener('click', toggleBlur);
  function toggleBlur() {
    S.blur = !S.blur;
    localStorage.setItem('modgate.blur', S.blur ? '1' : '0');
    renderTop();
  }
  // p reveals the blurred text of the case in view (until the next case).
  function toggleReveal() {
    S.reveal = !S.reveal;
    main.classList.toggle('revealed', S.reveal);
  }

  // ---------- routing ----------
  function hashParams(hash) {
    const i = hash.indexOf('?');
    const out = {};
    if (i < 0) return out;
    new URLSearchParams(hash.slice(i + 1)).forEach(function (v, k) { out[k] = v; });
    return out;
  }
  function route() {
    const hash = location.hash || '#/queue';
    const m = hash.match(/^#\/case\/([A-Za-z0-9._:-]{1,128})$/);
    const snd = hash.match(/^#\/sender\/([^/?]*)\/([^/?]+)(\?.*)?$/);
    stopTimers();
    destroyCharts();
    if (!m) { S.reveal = false; main.classList.remove('revealed'); }
    if (m) return showCase(m[1]);
    if (snd) return showSender(decodeURIComponent(snd[1]), decodeURIComponent(snd[2]), hashParams(hash));
    if (hash.indexOf('#/search') === 0) return showSearch(hashParams(hash));
    if (hash.indexOf('#/mine') === 0) return showMine(hashParams(hash));
    if (hash === '#/dashboard' && isLead) return showDashboard();
    if (hash === '#/policy' && isAdmin) return showPolicy();
    return showQueue();
  }
  window.addEventListener('hashchange', function () {
    // Leaving a case we hold without deciding gives it back to the queue
    // at once, rather than blocking it until the lease runs out.
    const m = (location.hash || '').match(/^#\/case\/(.+)$/);
    if (S.current && C.mine(S.current) && (!m || m[1] !== S.current.id) && !S.leaving) {
      const id = S.current.id, tok = C.token(S.current);
      cancelPending(true);
      api('POST', '/cases/' + enc(id) + '/release', { token: tok }).catch(function () { });
    }
    S.leaving = false;
    route();
  });
  function go(hash) { if (location.hash === hash) route(); else location.hash = hash; }
  function stopTimers() { S.timers.forEach(clearInterval); S.timers = []; }
  function every(ms, fn) { S.timers.push(setInterval(fn, ms)); }

  // ---------- shared pieces ----------
  function pager(total, offset, limit, onPage, id) {
    const from = total ? offset + 1 : 0, to = Math.min(total, offset + limit);
    return h('div', { class: 'pager', id: id || null },
      h('span', { class: 'pager-info' }, t('page.info', from, to, total)),
      h('button', { type: 'button', class: 'btn', disabled: offset <= 0, 'aria-keyshortcuts': '[', on: { click: function () { onPage(Math.max(0, offset - limit)); } } }, t('page.prev')),
      h('button', { type: 'button', class: 'btn', disabled: offset + limit >= total, 'aria-keyshortcuts': ']', on: { click: function () { onPage(offset + limit); } } }, t('page.next')));
  }
  function senderLink(tenant, sender) {
    if (!sender) return '—';
    return h('a', { href: '#/sender/' + enc(tenant || '') + '/' + enc(sender), class: 'sender-link' }, sender);
  }
  function stateText(s) { return t('state.' + (s.state || '')) + (s.appeal === 'pending' ? '' : ''); }
  function decisionCell(d) {
    if (!d) return '';
    return [actionName(d.action), h('span', { class: 'muted' }, ' · ' + (d.reviewer || ''))];
  }

  // ---------- queue ----------
  async function showQueue() {
    S.view = 'queue'; S.current = null; renderTop();
    clear(main);
    const lanesBox = h('section', { class: 'lanes', 'aria-label': t('queue.title') });
    const nextBtn = h('button', { type: 'button', class: 'btn primary big', id: 'next-case', 'aria-keyshortcuts': 'n', on: { click: nextCase } }, t('queue.next'));
    const laneSel = h('select', { id: 'f-lane', 'aria-label': t('queue.filter.lane') },
      h('option', { value: '' }, t('queue.filter.all')), LANES.map(function (l) { return h('option', { value: l }, laneName(l)); }));
    const labelSel = h('select', { id: 'f-label', 'aria-label': t('queue.filter.label') },
      h('option', { value: '' }, t('queue.filter.all')), LABELS.map(function (l) { return h('option', { value: l }, l + ' · ' + labelTitle(l)); }));
    const tenantIn = h('input', { id: 'f-tenant', type: 'text', maxlength: '128', 'aria-label': t('queue.filter.tenant'), placeholder: t('queue.filter.tenant') });
    laneSel.value = S.filters.lane; labelSel.value = S.filters.label; tenantIn.value = S.filters.tenant;
    const form = h('form', { class: 'filters', on: { submit: function (e) {
      e.preventDefault();
      S.filters = { lane: laneSel.value, label: labelSel.value, tenant: tenantIn.value.trim() };
      S.sel = 0; S.offset = 0; loadQueue();
    } } },
      h('label', { for: 'f-lane' }, t('queue.filter.lane')), laneSel,
      h('label', { for: 'f-label' }, t('queue.filter.label')), labelSel,
      h('label', { for: 'f-tenant' }, t('queue.filter.tenant')), tenantIn,
      h('button', { type: 'submit', class: 'btn' }, t('queue.filter.apply')));
    laneSel.addEventListener('change', function () { form.requestSubmit(); });
    labelSel.addEventListener('change', function () { form.requestSubmit(); });
    const list = h('section', { class: 'caselist', id: 'case-list', 'aria-live': 'polite' });
    main.appendChild(h('div', { class: 'queue-head' }, h('h1', null, t('queue.title')), nextBtn));
    main.appendChild(lanesBox);
    main.appendChild(form);
    main.appendChild(list);
    nextBtn.focus(); // before the list comes, so it never takes the cursor from a filter being typed in
    await loadQueue();
    if (!CFG.events) every(CFG.poll, loadQueue);
  }

  async function loadQueue() {
    if (S.view !== 'queue') return;
    try {
      const f = S.filters;
      const [st, cs] = await Promise.all([
        api('GET', '/stats').catch(function () { return { data: null }; }),
        api('GET', '/cases' + qs({ state: 'open', lane: f.lane, label: f.label, tenant: f.tenant, limit: PAGE, offset: S.offset })),
      ]);
      if (S.view !== 'queue') return;
      S.stats = st.data;
      const d = cs.data || {};
      S.cases = d.cases || [];
      S.total = d.total || 0;
      if (S.offset > 0 && !S.cases.length && S.total) { S.offset = Math.max(0, S.total - PAGE); return loadQueue(); }
      renderLanes();
      renderCaseList();
    } catch (e) {
      toast(t('err.generic', errText(e)), 'error');
    }
  }

  // lanesOf turns the stats answer into [{lane, depth, oldestMs, slaMs, breached}].
  function lanesOf(stats) {
    const out = [];
    const src = stats && stats.lanes;
    for (const l of LANES) {
      const v = (Array.isArray(src) && src.find(function (x) { return x.lane === l; })) || {};
      const oldest = (v.oldest_age_seconds || 0) * 1000, sla = (v.sla_seconds || 0) * 1000;
      out.push({ lane: l, depth: v.depth || 0, oldestMs: oldest, slaMs: sla, breached: (v.breached || 0) > 0 || (sla > 0 && oldest > sla) });
    }
    return out;
  }

  function renderLanes() {
    const box = main.querySelector('.lanes');
    if (!box) return;
    clear(box);
    for (const l of lanesOf(S.stats)) {
      const active = S.filters.lane === l.lane;
      const spec = META.lanes[l.lane] || {};
      box.appendChild(h('button', {
        type: 'button', class: 'lane' + (l.breached ? ' breach' : '') + (active ? ' active' : '') + (spec.leads_only ? ' leads' : ''),
        data: { lane: l.lane }, 'aria-pressed': active ? 'true' : 'false',
        on: { click: function () { S.filters.lane = active ? '' : l.lane; S.offset = 0; showQueue(); } },
      },
      h('span', { class: 'lane-name' }, laneName(l.lane), spec.leads_only ? h('span', { class: 'badge' }, t('queue.leadsOnly')) : null),
      h('span', { class: 'lane-depth' }, String(l.depth)),
      h('span', { class: 'lane-age' }, t('queue.oldest') + ' ' + (l.depth ? fmtDur(l.oldestMs) : '—')),
      l.slaMs ? h('span', { class: 'lane-sla' }, t('queue.sla', fmtDur(l.slaMs))) : null,
      l.breached ? h('span', { class: 'badge breach-badge' }, t('queue.breach')) : null));
    }
  }

  function renderCaseList() {
    const list = document.getElementById('case-list');
    if (!list) return;
    clear(list);
    if (!S.cases.length) { list.appendChild(h('p', { class: 'empty' }, t('queue.empty'))); return; }
    if (S.sel >= S.cases.length) S.sel = S.cases.length - 1;
    const table = h('table', { class: 'cases' },
      h('thead', null, h('tr', null, ['queue.col.age', 'queue.col.lane', 'queue.col.labels', 'queue.col.tenant', 'queue.col.text', 'queue.col.state']
        .map(function (k) { return h('th', { scope: 'col' }, t(k)); }))));
    const tb = h('tbody');
    S.cases.forEach(function (c, i) {
      const preview = Array.from(c.preview || '').slice(0, 120).join('');
      const row = h('tr', { class: (i === S.sel ? 'sel ' : '') + (c.sla_breached ? 'breach' : ''), data: { id: c.id }, 'aria-selected': i === S.sel ? 'true' : 'false' },
        h('td', { class: 'age' }, liveAge(c.created)),
        h('td', null, laneName(c.lane)),
        h('td', null, (c.labels || []).map(labelChip), (c.tags || []).map(tagChip)),
        h('td', null, c.tenant || ''),
        h('td', { class: 'preview' }, h('button', { type: 'button', class: 'linklike', on: { click: function () { S.sel = i; openCase(c.id); } } },
          preview || (c.text_missing ? t('case.noTextShort') : '∅'))),
        h('td', null, c.state === 'claimed' && c.holder ? t('queue.claimedby', c.holder) : t('state.' + c.state)));
      tb.appendChild(row);
    });
    table.appendChild(tb);
    list.appendChild(table);
    if (S.total > S.cases.length || S.offset > 0) {
      list.appendChild(pager(S.total, S.offset, PAGE, function (o) { S.offset = o; S.sel = 0; loadQueue(); }, 'queue-pager'));
    }
  }

  function moveSel(d) {
    if (!S.cases.length) return;
    S.sel = Math.max(0, Math.min(S.cases.length - 1, S.sel + d));
    renderCaseList();
    const row = main.querySelector('tr.sel');
    if (row) row.scrollIntoView({ block: 'nearest' });
  }

  async function openCase(id) {
    try {
      const r = await api('POST', '/cases/' + enc(id) + '/claim', {});
      take(r.data); S.leaving = true;
      go('#/case/' + id);
    } catch (e) {
      if (e.status === 409 || e.status === 403) { toast(t('err.conflict', errText(e)), 'error'); if (S.view === 'queue') loadQueue(); }
      else toast(t('err.generic', errText(e)), 'error');
    }
  }

  // nextCase claims the next case by priority and age (within the lane
  // filter) and opens it.
  async function nextCase() {
    try {
      const f = S.filters;
      const res = await api('POST', '/claim-next', { lanes: f.lane ? [f.lane] : [] });
      const c = res.status === 204 ? null : take(res.data);
      if (!c) { if (S.view !== 'queue') { S.leaving = true; go('#/queue'); } toast(t('queue.empty'), 'info'); return; }
      S.leaving = true;
      go('#/case/' + c.id);
    } catch (e) {
      toast(t('err.generic', errText(e)), 'error');
    }
  }

  // ---------- case view ----------
  async function showCase(id) {
    const fresh = !S.current || S.current.id !== id || S.view !== 'case';
    S.view = 'case'; renderTop();
    if (fresh) { S.showNorm = false; S.matchIdx = -1; S.reveal = false; main.classList.remove('revealed'); }
    if (S.current && S.current.id === id) renderCase(); // the claim answer: draw it at once
    let r;
    try { r = (await api('GET', '/cases/' + enc(id))).data; }
    catch (e) { if (location.hash === '#/case/' + id) { clear(main); main.appendChild(h('p', { class: 'error' }, t('err.generic', errText(e)))); } return; }
    // The reviewer may have moved on (released, decided, another case)
    // while this answer was on its way: an old answer must not come back.
    if (S.view !== 'case' || location.hash !== '#/case/' + id || (S.current && S.current.id !== id)) return;
    take(r);
    if (!S.current || S.current.id !== id) return;
    renderCase();
    every(1000, tickLease);
    if (!CFG.events) every(CFG.poll, refreshCase);
  }

  // refreshCase re-reads the case in view (a live update, a poll, a failed
  // decision) and says plainly when the reviewer lost it.
  async function refreshCase() {
    const c = S.current;
    if (!c || S.view !== 'case') return;
    try {
      const r = (await api('GET', '/cases/' + enc(c.id))).data;
      const n = r && r.case;
      if (!n || !S.current || S.current.id !== n.id) return;
      const before = S.current;
      const heldBefore = !!(before.lease && before.lease.holder === CFG.user && before.state === 'claimed');
      // Lost to the clock, or taken away (a lead's release) before it ran out.
      const ranOut = heldBefore && Date.parse(before.lease.expires) <= Date.now() + 1000;
      take(r);
      const other = n.state === 'claimed' && n.lease && n.lease.holder && n.lease.holder !== CFG.user ? n.lease.holder : '';
      const lostBanner = S.banner && S.banner.caseId === n.id && S.banner.lost;
      if (heldBefore && !C.mine(n) && n.state !== 'decided') {
        if (S.pending && S.pending.caseId === n.id && !S.pending.sent) {
          cancelPending(true);
          setBanner('error', other ? t('decide.notSentTaken', other) : ranOut ? t('decide.notSentExpired') : t('decide.notSentLost'));
          S.banner.lost = true;
        } else if (!S.banner || S.banner.caseId !== n.id) {
          setBanner('warn', other ? t('toast.caseTaken', other) : t('case.leaseGone'));
          S.banner.lost = true;
        }
      } else if (lostBanner && other) {
        // It went on to someone else after the reviewer lost it: say who.
        setBanner(S.banner.kind, S.banner.kind === 'error' ? t('decide.notSentTaken', other) : t('toast.caseTaken', other));
        S.banner.lost = true;
      }
      renderCase();
    } catch (e) { /* transient; the next update retries */ }
  }

  function highlighted(text, matches) {
    const cps = Array.from(text);
    const n = cps.length;
    const ms = matches.filter(function (m) {
      return Number.isInteger(m.start) && Number.isInteger(m.end) && m.start >= 0 && m.end <= n && m.start < m.end;
    });
    const bounds = new Set([0, n]);
    ms.forEach(function (m) { bounds.add(m.start); bounds.add(m.end); });
    const pts = Array.from(bounds).sort(function (a, b) { return a - b; });
    const box = h('div', { class: 'msg-text', id: 'msg-text', tabindex: '0', dir: 'ltr' });
    for (let i = 0; i + 1 < pts.length; i++) {
      const a = pts[i], b = pts[i + 1];
      const seg = cps.slice(a, b).join('');
      const cover = ms.filter(function (m) { return m.start <= a && m.end >= b; });
      if (!cover.length) { appendText(box, seg); continue; }
      // Lexicon and detector spans outrank model explanations (n-grams
      // that drove a classifier score): those only show where nothing
      // else covers the text, drawn as a dashed outline, not a fill.
      const hard = cover.filter(function (m) { return m.source !== 'model'; });
      const pool = hard.length ? hard : cover;
      const top = pool.reduce(function (x, y) { return (y.severity || 0) > (x.severity || 0) ? y : x; });
      const onlyModel = !hard.length;
      box.appendChild(h('mark', {
        class: 'hl ' + (onlyModel ? 'src-model ' : '') + labelClass(top.category) + (hard.length > 1 ? ' multi' : '') +
          (!onlyModel && hard.length < cover.length ? ' has-model' : ''),
        data: { start: a, end: b, label: top.category, match: ms.indexOf(top), source: top.source || '' },
        title: cover.map(function (m) {
          return (m.source === 'model' ? t('case.modelMatch', m.subcategory || '') + ' · ' : '') +
            m.category + (m.subcategory && m.source !== 'model' ? '/' + m.subcategory : '') + ': ' + m.term;
        }).join('\n'),
      }, seg));
    }
    return box;
  }

  function section(title, body, cls, id) {
    return h('section', { class: 'panel ' + (cls || ''), id: id || null }, h('h2', null, title), body);
  }

  // checkedLabels is what the label boxes say now.
  function checkedLabels() {
    return Array.from(main.querySelectorAll('#labelfix input:checked')).map(function (i) { return i.value; });
  }

  // cqText says in words what a key does to the member.
  function cqText(action, cq, c) {
    if (!cq) return '';
    const v = cq.violations || {};
    if (action === 'overturn') return t('cq.overturn', v.count || 0);
    if (action === 'uphold') return t('cq.uphold');
    if (cq.enforcement === 'remove_member') {
      if (cq.rule === 'ads') return t('cq.removeAds', v.ads || 0);
      if (cq.rule === 'violations') return t('cq.removeCount', v.count || 0);
      return t('cq.removeExplicit');
    }
    if (cq.enforcement === 'warn') return t('cq.warn', v.count || 0);
    if (cq.violation) return C.sender(c) ? t('cq.strike', v.count || 0) : t('cq.noSender');
    return t('cq.none');
  }

  // The actions the case takes: appeal outcomes on a case under appeal,
  // the decisions otherwise.
  function actionsFor(c) {
    const appeal = C.underAppeal(c);
    return ACTION_LIST.filter(function (a) { return !!META.appeal[a] === appeal; });
  }

  function renderCase() {
    const c = S.current;
    if (!c) return;
    // A re-render (live update, unmask, toggles) keeps what the reviewer
    // already typed or ticked for this case.
    const noteEl = document.getElementById('note');
    const teamEl = document.getElementById('team-note');
    const same = main.dataset.caseId === c.id && document.getElementById('labelfix');
    const keep = same ? { note: noteEl ? noteEl.value : '', team: teamEl ? teamEl.value : '', labels: checkedLabels() } : null;
    const scroll = same ? { side: (main.querySelector('.col-side') || {}).scrollTop || 0 } : null;
    main.dataset.caseId = c.id;
    clear(main);
    const mine = C.mine(c);
    const expired = !!(c.lease && c.lease.holder === CFG.user && c.state === 'claimed' && !mine);
    const text = C.text(c);
    const matches = C.matches(c);
    const v = c.verdict || {};
    const rev = v.revision || {};
    const appeal = C.underAppeal(c);

    // ---- left column: the message ----
    const stateLabel = expired ? t('state.expired') : t('state.' + c.state);
    const head = h('div', { class: 'case-head' },
      h('button', { type: 'button', class: 'btn ghost', id: 'back', on: { click: function () { go('#/queue'); } } }, t('case.back')),
      h('h1', null, t('case.title', c.id)),
      h('span', { class: 'state state-' + (expired ? 'expired' : c.state || ''), id: 'case-state' }, stateLabel),
      h('span', { class: 'lane-tag' }, laneName(c.lane)),
      c.sla_breached ? h('span', { class: 'badge breach-badge' }, t('queue.breach')) : null);
    const meta = h('dl', { class: 'meta' },
      h('dt', null, t('case.tenant')), h('dd', null, c.tenant || '—'),
      h('dt', null, t('case.group')), h('dd', null, C.group(c) || '—', c.message && c.message.group && c.message.group.kind ? ' (' + c.message.group.kind + ')' : ''),
      h('dt', null, t('case.source')), h('dd', null, t('source.' + (c.source || 'screen'))),
      h('dt', null, t('case.created')), h('dd', null, fmtTime(c.created), ' · ', liveAge(c.created, 'case-age')),
      h('dt', null, t('case.priority')), h('dd', null, String(Math.round((c.priority || 0) * 100) / 100), c.hidden_pending_review ? h('span', { class: 'badge' }, t('case.hidden')) : null),
      h('dt', null, t('case.revision')), h('dd', { class: 'rev' }, t('case.policy') + ' ', shortRev(rev.policy), ' · ' + t('case.lexicon') + ' ', shortRev(rev.lexicon), ' · ' + t('case.model') + ' ', shortRev(rev.model)));

    const privacy = h('div', { class: 'privacy' });
    if (S.unmasked && S.unmaskedFor === c.id) privacy.appendChild(h('p', { class: 'notice', role: 'status' }, t('case.unmasked')));
    else {
      privacy.appendChild(h('span', { class: 'muted' }, t('case.masked')));
      if (isLead && !c.text_missing) privacy.appendChild(h('button', { type: 'button', class: 'btn ghost', id: 'unmask', on: { click: askUnmask } }, t('case.unmask')));
    }
    let textBody;
    if (c.text_missing) {
      textBody = h('div', { class: 'no-text', id: 'no-text', role: 'status' },
        h('p', null, h('strong', null, t('case.noText'))),
        h('p', { class: 'muted' }, c.text_requested ? t('case.textRequested', fmtTime(c.text_requested)) : t('case.noTextHelp')),
        h('div', { class: 'row' },
          h('button', { type: 'button', class: 'btn', id: 'request-text', disabled: !mine, 'aria-keyshortcuts': 'g', on: { click: requestText } }, h('kbd', null, 'g'), ' ', t('case.requestText')),
          h('button', { type: 'button', class: 'btn', id: 'cannot-judge', disabled: !mine, 'aria-keyshortcuts': ACTION_KEY.cannot_judge || 'i', on: { click: function () { startDecision('cannot_judge'); } } },
            h('kbd', null, ACTION_KEY.cannot_judge || 'i'), ' ', actionName('cannot_judge'))));
    } else {
      const textBox = highlighted(text, matches);
      const normBtn = h('button', { type: 'button', class: 'btn ghost', id: 'toggle-norm', 'aria-keyshortcuts': 't', 'aria-expanded': S.showNorm ? 'true' : 'false', on: { click: toggleNorm } },
        S.showNorm ? t('case.hideNorm') : t('case.showNorm'));
      const norm = C.normalized(c);
      const normBox = S.showNorm ? h('div', { class: 'msg-norm', id: 'msg-norm' }, h('h3', null, t('case.normalized')), norm ? h('div', { class: 'msg-text small' }, norm) : h('p', { class: 'muted' }, t('case.noNorm'))) : null;
      textBody = [privacy, textBox, normBtn, normBox];
    }
    // The span list shows what the text above shows at those offsets:
    // masked for a reviewer, the original once a lead unmasked it.
    const cps = Array.from(text);
    const spanText = function (m) { return m.start >= 0 && m.end <= cps.length && m.start < m.end ? cps.slice(m.start, m.end).join('') : (m.text || m.term); };
    const matchList = matches.length ? h('ol', { class: 'matches', id: 'match-list' }, matches.map(function (m, i) {
      if (m.source === 'model') {
        return h('li', { data: { match: i, source: 'model' }, class: 'model-match' + (i === S.matchIdx ? ' cur' : '') },
          labelChip(m.category), ' ', h('span', { class: 'src-badge' }, t('case.modelMatch', m.subcategory || '')), ' ',
          h('span', { class: 'term' }, spanText(m)), ' ', h('span', { class: 'muted' }, m.start + '–' + m.end));
      }
      return h('li', { data: { match: i }, class: i === S.matchIdx ? 'cur' : '' },
        labelChip(m.category), ' ', h('span', { class: 'term' }, spanText(m)), ' ',
        h('span', { class: 'muted' }, (m.subcategory || '') + ' · ' + m.start + '–' + m.end + ' · sev ' + (m.severity || 0)));
    })) : h('p', { class: 'muted', id: 'no-matches' }, c.text_missing ? t('case.noText') : t('case.noMatches'));
    const reasons = C.reasons(c);
    const rules = reasons.length ? h('ul', { class: 'reasons', id: 'rules' }, reasons.map(function (r) {
      return h('li', null, h('code', null, r.rule), ' ', labelChip(r.label), ' ', h('span', null, r.message || ''));
    })) : h('p', { class: 'muted', id: 'no-rules' }, ruleless(c));

    const left = h('div', { class: 'col-main' }, head, meta,
      renderAppeal(c), renderEscalation(c),
      section(t('case.text') + (c.text_missing ? '' : ' · ' + t('case.chars', cps.length)), textBody, 'text-panel'),
      renderContext(c),
      section(t('case.matches', matches.length), matchList, '', 'matches-panel'),
      section(t('case.reasons') + ' · ' + reasons.length, rules, '', 'rules-panel'));

    // ---- middle column: what surrounds the message ----
    // Panels in the order a reviewer reads them; issue 13 adds the
    // conversation context here.
    const ctx = h('div', { class: 'col-ctx' }, contextPanels(c));

    // ---- right column: lease and decision ----
    const right = h('aside', { class: 'col-side', 'aria-label': t('case.decision') });
    const banner = h('div', { id: 'case-banner', class: 'banner', role: 'alert', hidden: true });
    renderBanner(banner);
    right.appendChild(banner);
    if (c.decision && !appeal) {
      right.appendChild(h('p', { class: 'notice', id: 'decided' }, t('case.decided', actionName(c.decision.action), c.decision.reviewer, fmtTime(c.decision.at)),
        c.decision.enforcement ? h('span', { class: 'badge' }, actionName(c.decision.enforcement)) : null));
    }
    right.appendChild(h('div', { class: 'lease', id: 'lease', 'aria-live': 'off' }));
    if (expired || (!mine && C.claimable(c) && !S.pending)) {
      right.appendChild(h('div', { class: 'reclaim', id: 'reclaim-box' },
        expired ? h('p', { class: 'error', id: 'lease-expired' }, t('case.leaseExpired')) : null,
        h('button', { type: 'button', class: 'btn primary', id: 'reclaim', 'aria-keyshortcuts': 'c', on: { click: reclaim } }, h('kbd', null, 'c'), ' ', t('case.claim'))));
    }
    if (mine) {
      right.appendChild(h('div', { class: 'lease-actions' },
        h('button', { type: 'button', class: 'btn', id: 'extend', 'aria-keyshortcuts': 'e', on: { click: extendLease } }, t('case.extend')),
        h('button', { type: 'button', class: 'btn', id: 'release', 'aria-keyshortcuts': 'x', on: { click: releaseCase } }, t('case.release')),
        h('button', { type: 'button', class: 'btn', id: 'escalate', disabled: c.lane === 'escalated', 'aria-keyshortcuts': 'l', on: { click: askEscalate } }, t('case.escalate'))));
    }
    const acts = h('div', { class: 'actions', id: 'actions' });
    for (const a of actionsFor(c)) {
      const cq = S.cons && S.cons[a];
      const removes = cq && cq.enforcement === 'remove_member';
      acts.appendChild(h('button', { type: 'button', class: 'btn act act-' + a + (removes ? ' removes' : ''), id: 'act-' + a,
        disabled: !mine || (!!c.decision && !appeal) || !!S.pending, 'aria-keyshortcuts': ACTION_KEY[a],
        'aria-describedby': 'cq-' + a, on: { click: function () { startDecision(a); } } },
      h('span', { class: 'act-name' }, h('kbd', null, ACTION_KEY[a]), ' ', actionName(a)),
      h('span', { class: 'cq', id: 'cq-' + a }, cq ? '→ ' + cqText(a, cq, c) : '')));
    }
    right.appendChild(acts);
    if (!appeal) {
      const current = keep ? keep.labels : C.labels(c);
      const fs = h('fieldset', { class: 'labelfix', id: 'labelfix' }, h('legend', null, t('case.labelFix')),
        LABELS.concat(current.filter(function (l) { return LABELS.indexOf(l) < 0; })).map(function (l) {
          const id = 'lf-' + l.replace(/[^a-z_]/g, '_');
          return h('label', { class: 'lf', for: id }, h('input', { type: 'checkbox', id: id, value: l, checked: current.indexOf(l) >= 0 }), ' ', labelChip(l));
        }));
      fs.addEventListener('change', onLabelsChanged);
      right.appendChild(fs);
    }
    right.appendChild(h('label', { for: 'note', class: 'note-label' }, appeal ? t('case.appealNote') : t('case.note')));
    const note = h('textarea', { id: 'note', rows: '2', maxlength: '2000', 'aria-keyshortcuts': 'o' });
    if (keep) note.value = keep.note;
    right.appendChild(note);
    if (!mine && !c.decision && !expired && !C.claimable(c)) right.appendChild(h('p', { class: 'muted' }, t('case.notHeld')));
    right.appendChild(h('p', { class: 'hint' }, h('kbd', null, '?'), ' ', t('help.title')));

    main.appendChild(h('div', { class: 'case' + (S.unmasked && S.unmaskedFor === c.id ? ' unmasked' : '') }, left, ctx, right));
    if (keep) { const te = document.getElementById('team-note'); if (te) te.value = keep.team; }
    if (scroll) { const side = main.querySelector('.col-side'); if (side) side.scrollTop = scroll.side; }
    tickLease();
    if (keep && checkedLabels().join(',') !== C.labels(c).join(',')) refreshConsequences();
    if (S.matchIdx >= 0) focusMatch(S.matchIdx);
    else {
      const tb = document.getElementById('msg-text');
      if (tb && !same) tb.focus({ preventScroll: true });
    }
    perfDrawn(c.id);
  }

  // ruleless explains an empty rules panel.
  function ruleless(c) {
    if (c.text_missing) return t('rules.noText');
    if (c.source === 'report') return t('rules.report');
    if (c.source === 'patrol') return t('rules.patrol');
    return t('rules.none');
  }

  // contextPanels are the middle column's panels, in reading order.
  function contextPanels(c) {
    return [renderReports(c), renderSender(c), renderTeam(c), renderHistory(c)];
  }

  function renderAppeal(c) {
    const a = c.appeal;
    if (!a) return null;
    const d = c.decision || {};
    return section(t('appeal.title') + (a.outcome ? ' · ' + t('appeal.outcome.' + a.outcome) : ''), [
      h('p', null, t('appeal.by', a.appellant_id, fmtTime(a.at))),
      h('blockquote', { class: 'quote', id: 'appeal-reason' }, a.reason || ''),
      h('p', null, t('appeal.original', actionName(d.action || ''), d.reviewer || a.original_reviewer || '—'), ' ', (d.labels || []).map(labelChip),
        d.enforcement ? h('span', { class: 'badge' }, actionName(d.enforcement)) : null),
      d.note ? h('p', { class: 'muted' }, t('appeal.originalNote', d.note)) : null,
      a.outcome ? h('p', null, t('appeal.decidedBy', a.reviewer, fmtTime(a.decided)), a.note ? ' — ' + a.note : '') : null,
    ], 'appeal-panel', 'appeal-panel');
  }

  function renderEscalation(c) {
    const e = c.escalation;
    if (!e) return null;
    return section(t('esc.title'), h('p', null, t('esc.by', e.by, fmtTime(e.at), laneName(e.from_lane)), e.note ? h('blockquote', { class: 'quote' }, e.note) : null), 'escalation-panel', 'escalation-panel');
  }

  // The group's messages around the case, as kept at screening time
  // (masked). Messages whose text was joined with this one to make a match
  // are marked, with the matched spans highlighted; the case's own
  // message is bold. Self-contained: its strings are here, its look comes
  // from existing classes and <mark>.
  function renderContext(c) {
    const ctx = Array.isArray(c.context) ? c.context : [];
    if (!ctx.length) return null;
    const en = lang === 'en';
    const pieces = {};
    ((c.verdict && c.verdict.matches) || []).forEach(function (m) {
      if (m.message_id) (pieces[m.message_id] = pieces[m.message_id] || []).push(m);
    });
    function textCell(m) {
      const cps = Array.from(m.text || '');
      const ps = (pieces[m.id] || []).filter(function (p) {
        return Number.isInteger(p.start) && Number.isInteger(p.end) && p.start >= 0 && p.end <= cps.length && p.start < p.end;
      });
      if (!m.assembling) return m.current ? h('strong', null, m.text || '') : (m.text || '');
      if (!ps.length) return h('mark', { class: 'ctx-asm' }, m.text || '');
      const out = [];
      let at = 0;
      ps.sort(function (a, b) { return a.start - b.start; }).forEach(function (p) {
        if (p.start < at) return;
        out.push(cps.slice(at, p.start).join(''));
        out.push(h('mark', { class: 'ctx-asm', title: p.category + (p.subcategory ? '/' + p.subcategory : '') + ': ' + p.term }, cps.slice(p.start, p.end).join('')));
        at = p.end;
      });
      out.push(cps.slice(at).join(''));
      return out;
    }
    const joined = ctx.filter(function (m) { return m.assembling; }).length;
    const rows = ctx.map(function (m) {
      return h('tr', { class: m.current ? 'ctx-current' : (m.assembling ? 'ctx-assembling' : ''), data: { id: m.id || '' } },
        h('td', { class: 'muted' }, fmtTime(m.at)),
        h('td', null, m.sender_id || '—'),
        h('td', null, textCell(m), m.truncated ? h('span', { class: 'muted' }, ' …') : null),
        h('td', { class: 'muted' }, m.action || ''));
    });
    return h('section', { class: 'panel', id: 'context', 'aria-label': en ? 'conversation' : '上下文' },
      h('h2', null, (en ? 'Conversation (' : '上下文（') + ctx.length + (en ? ' messages)' : ' 条）')),
      joined ? h('p', { class: 'notice' }, en ? joined + ' earlier message(s) of this sender were read together with this one (marked).'
        : '该发送者之前的 ' + joined + ' 条消息与本条连起来命中（已标出）。') : null,
      h('table', { class: 'reports' }, h('tbody', null, rows)));
  }

  function renderReports(c) {
    const rs = c.reports || [];
    if (!rs.length) return section(t('case.reports', 0), h('p', { class: 'muted' }, t('case.noReports')), 'reports-panel', 'reports-panel');
    const reasons = {};
    rs.forEach(function (r) { reasons[r.reason] = (reasons[r.reason] || 0) + 1; });
    return section(t('case.reports', c.report_count || rs.length), [
      h('p', null, Object.keys(reasons).map(function (k) { return h('span', { class: 'chip' }, k + ' ×' + reasons[k]); }),
        c.report_score ? h('span', { class: 'muted' }, ' ' + t('case.score') + ' ' + c.report_score.toFixed(2)) : null),
      h('table', { class: 'reports' }, h('tbody', null, rs.slice(0, 20).map(function (r) {
        return h('tr', null, h('td', null, r.reporter_id), h('td', null, r.reason), h('td', { class: 'muted' }, r.text || ''), h('td', { class: 'muted' }, liveAge(r.at)));
      })))], 'reports-panel', 'reports-panel');
  }

  function renderSender(c) {
    const x = S.extra || {};
    const vio = x.violations;
    const others = x.senderCases || [];
    const sender = C.sender(c);
    return section(t('case.sender'), [
      h('p', null, senderLink(c.tenant, sender), vio ? [' · ', h('strong', { id: 'violations' }, t('case.violations', vio.count || 0)), vio.ads ? ' · ' + t('case.adsStrikes', vio.ads) : ''] : null),
      (x.strikes || []).length ? h('ul', { class: 'strikes' }, x.strikes.map(function (st) {
        return h('li', null, h('span', { class: 'muted' }, fmtTime(st.at)), ' ', (st.labels || []).map(labelChip), st.ads ? h('span', { class: 'badge' }, t('case.ads')) : null);
      })) : null,
      others.length ? h('table', { class: 'reports' }, h('tbody', null, others.slice(0, 6).map(function (o) {
        return h('tr', null, h('td', { class: 'muted' }, liveAge(o.created)), h('td', null, t('state.' + o.state)),
          h('td', null, o.decision ? actionName(o.decision.action) : ''), h('td', null, (o.labels || []).map(labelChip)),
          h('td', { class: 'preview' }, h('a', { href: '#/case/' + enc(o.id) }, o.preview || '∅')));
      }))) : h('p', { class: 'muted' }, t('case.noOtherCases'))], 'sender-panel', 'sender-panel');
  }

  // Team notes and tags: private to reviewers, anyone may add.
  function renderTeam(c) {
    const notes = c.notes || [];
    const tagIn = h('input', { type: 'text', id: 'tags-input', maxlength: '400', value: (c.tags || []).join(', '), 'aria-label': t('team.tags'), placeholder: t('team.tagsHint') });
    const noteIn = h('textarea', { id: 'team-note', rows: '2', maxlength: '2000', 'aria-label': t('team.note'), placeholder: t('team.noteHint'), 'aria-keyshortcuts': 'N' });
    return section(t('team.title', notes.length), [
      notes.length ? h('ol', { class: 'team-notes', id: 'team-notes' }, notes.map(function (n) {
        return h('li', null, h('span', { class: 'muted' }, n.author + ' · ' + fmtTime(n.at)), h('div', null, n.text));
      })) : null,
      h('form', { class: 'team-form', on: { submit: function (e) { e.preventDefault(); addTeamNote(); } } },
        noteIn, h('button', { type: 'submit', class: 'btn', id: 'team-note-add' }, t('team.add'))),
      h('form', { class: 'team-form row', on: { submit: function (e) { e.preventDefault(); saveTags(); } } },
        h('label', { for: 'tags-input' }, t('team.tags')), tagIn, h('button', { type: 'submit', class: 'btn', id: 'tags-save' }, t('team.save'))),
    ], 'team-panel', 'team-panel');
  }

  function renderHistory(c) {
    return section(t('case.history'), h('ol', { class: 'history', id: 'history' }, (c.history || []).slice(-30).map(function (e) {
      return h('li', null, h('span', { class: 'muted' }, fmtTime(e.at)), ' ', h('strong', null, t('hist.' + e.kind) === 'hist.' + e.kind ? e.kind : t('hist.' + e.kind)), ' ', e.actor || '', e.note ? ' — ' + e.note : '');
    })), 'history-panel', 'history-panel');
  }

  async function addTeamNote() {
    const c = S.current, el = document.getElementById('team-note');
    if (!c || !el || !el.value.trim()) { if (el) el.focus(); return; }
    try {
      const r = await api('POST', '/cases/' + enc(c.id) + '/notes', { text: el.value });
      el.value = '';
      take(r.data); renderCase(); toast(t('team.added'), 'ok');
    } catch (e) { toast(t('err.generic', errText(e)), 'error'); }
  }

  async function saveTags() {
    const c = S.current, el = document.getElementById('tags-input');
    if (!c || !el) return;
    const tags = el.value.split(/[,，、]/).map(function (s) { return s.trim(); }).filter(Boolean);
    try {
      const r = await api('PUT', '/cases/' + enc(c.id) + '/tags', { tags: tags });
      take(r.data); renderCase(); toast(t('team.saved'), 'ok');
    } catch (e) { toast(t('err.generic', errText(e)), 'error'); }
  }

  function tickLease() {
    const box = document.getElementById('lease');
    const c = S.current;
    if (!box || !c) return;
    clear(box);
    const l = C.lease(c);
    if (c.state === 'decided' || !l || l.holder !== CFG.user || c.state !== 'claimed') { box.className = 'lease none'; return; }
    const left = Date.parse(l.expires) - Date.now();
    if (left <= 0) {
      // Expired here: draw the case as it now is (claim again with c).
      if (!document.getElementById('lease-expired')) {
        if (S.pending && S.pending.caseId === c.id) { cancelPending(true); setBanner('error', t('decide.notSentExpired')); }
        renderCase();
      }
      return;
    }
    box.className = 'lease' + (left < 60000 ? ' low' : '');
    add(box, t('case.lease', fmtDur(left)));
  }

  // reclaim takes the case in view again (after the lease ran out, or a
  // case opened from search).
  async function reclaim() {
    const c = S.current;
    if (!c) return;
    try {
      const r = await api('POST', '/cases/' + enc(c.id) + '/claim', {});
      take(r.data); clearBanner();
      renderCase();
      const tb = document.getElementById('msg-text');
      if (tb) tb.focus({ preventScroll: true });
      toast(t('toast.claimed'), 'ok');
      refreshCase();
    } catch (e) {
      setBanner('error', t('err.conflict', errText(e)));
      refreshCase();
    }
  }

  async function extendLease() {
    const c = S.current;
    if (!c || !C.mine(c)) return;
    try {
      const r = await api('POST', '/cases/' + enc(c.id) + '/extend', { token: C.token(c) });
      if (r.data && r.data.case) S.current.lease = r.data.case.lease;
      tickLease(); toast(t('toast.extended'), 'ok');
    } catch (e) { toast(t('err.generic', errText(e)), 'error'); }
  }

  async function releaseCase() {
    const c = S.current;
    if (!c || !C.mine(c)) return;
    cancelPending(true);
    try {
      await api('POST', '/cases/' + enc(c.id) + '/release', { token: C.token(c) });
      S.current = null; S.leaving = true;
      toast(t('toast.released'), 'ok');
      go('#/queue');
    } catch (e) { toast(t('err.generic', errText(e)), 'error'); }
  }

  async function requestText() {
    const c = S.current;
    if (!c || !C.mine(c) || !c.text_missing) return;
    try {
      await api('POST', '/cases/' + enc(c.id) + '/request-text', { token: C.token(c) });
      toast(t('toast.textRequested'), 'ok');
      S.current = null; S.leaving = true;
      nextCase();
    } catch (e) { setBanner('error', t('err.generic', errText(e))); }
  }

  // Unmasking shows personal data: the lead says why, and the server
  // records the reason in the audit trail before it answers.
  function askUnmask() {
    const c = S.current;
    if (!c || !isLead) return;
    promptDialog({ id: 'unmask-dialog', title: t('unmask.title'), body: t('unmask.body'), label: t('unmask.reason'), required: 2,
      ok: t('unmask.ok'), submit: async function (reason) {
        const r = await api('POST', '/cases/' + enc(c.id) + '/unmask', { reason: reason });
        take(r.data); renderCase();
      } });
  }

  function askEscalate() {
    const c = S.current;
    if (!c || !C.mine(c) || c.lane === 'escalated') return;
    promptDialog({ id: 'escalate-dialog', title: t('esc.dialog'), body: t('esc.body'), label: t('esc.note'), required: 0,
      ok: t('esc.ok'), submit: async function (note) {
        await api('POST', '/cases/' + enc(c.id) + '/escalate', { token: C.token(c), note: note });
        toast(t('toast.escalated'), 'ok');
        S.current = null; S.leaving = true;
        nextCase();
      } });
  }

  function toggleNorm() { S.showNorm = !S.showNorm; renderCase(); }

  function focusMatch(i) {
    const ms = C.matches(S.current);
    if (!ms.length) return;
    S.matchIdx = (i + ms.length) % ms.length;
    main.querySelectorAll('mark.hl.cur, #match-list li.cur').forEach(function (el) { el.classList.remove('cur'); });
    const m = ms[S.matchIdx];
    let first = null;
    main.querySelectorAll('mark.hl').forEach(function (el) {
      if (+el.dataset.start >= m.start && +el.dataset.end <= m.end) { el.classList.add('cur'); if (!first) first = el; }
    });
    const li = main.querySelector('#match-list li[data-match="' + S.matchIdx + '"]');
    if (li) li.classList.add('cur');
    if (first) first.scrollIntoView({ block: 'nearest' });
  }

  // ---------- consequences and decisions ----------
  // Ticking a label changes what a key does (an ads label can make a
  // removal remove the member): ask the policies again, and have every
  // key wait for the answer.
  let consTimer = 0;
  function onLabelsChanged() {
    clearTimeout(consTimer);
    consTimer = setTimeout(refreshConsequences, 120);
    S.consPromise = S.consPromise || new Promise(function (res) { S.consResolve = res; });
  }
  async function refreshConsequences() {
    const c = S.current;
    clearTimeout(consTimer);
    if (!c) return;
    const labels = checkedLabels();
    let resolve = S.consResolve;
    if (!S.consPromise) S.consPromise = new Promise(function (res) { resolve = res; });
    S.consResolve = null;
    try {
      const r = await api('GET', '/cases/' + enc(c.id) + '/consequences' + qs({ labels: labels.join(',') || ',' }));
      if (S.current && S.current.id === c.id && r.data) {
        S.cons = r.data.consequences;
        for (const a of actionsFor(c)) {
          const el = document.getElementById('cq-' + a);
          const cq = S.cons[a];
          if (el) el.textContent = cq ? '→ ' + cqText(a, cq, c) : '';
          const btn = document.getElementById('act-' + a);
          if (btn) btn.classList.toggle('removes', !!(cq && cq.enforcement === 'remove_member'));
        }
      }
    } catch (e) { /* keys fall back to the server's check (expect) */ }
    S.consPromise = null;
    if (resolve) resolve();
  }

  async function startDecision(action) {
    const c = S.current;
    if (!c || !C.mine(c) || S.pending || overlayKind) return;
    const appeal = C.underAppeal(c);
    if (!!META.appeal[action] !== appeal || (c.decision && !appeal)) return;
    if (S.consPromise) await S.consPromise;
    const labels = appeal ? [] : checkedLabels();
    const cq = S.cons && S.cons[action];
    if (!appeal && cq && cq.violation && !labels.length) {
      setBanner('error', t('decide.needLabel', actionName(action)));
      const first = main.querySelector('#labelfix input');
      if (first) first.focus();
      return;
    }
    if (S.banner && S.banner.kind === 'error') clearBanner();
    if (META.confirm[action] || (cq && cq.enforcement === 'remove_member')) { confirmDecision(action, cq); return; }
    queueDecision(action, cq);
  }

  function queueDecision(action, cq) {
    cancelPending(true);
    const c = S.current;
    const appeal = C.underAppeal(c);
    const noteEl = document.getElementById('note');
    const body = { action: action, note: noteEl ? noteEl.value : '', token: C.token(c) };
    if (!appeal) {
      body.labels = checkedLabels();
      if (cq) body.expect = cq.enforcement || '';
    }
    const p = { caseId: c.id, body: body, started: Date.now(), deadline: Date.now() + UNDO_MS };
    S.pending = p;
    main.querySelectorAll('.actions button').forEach(function (b) { b.disabled = true; });
    if (UNDO_MS <= 0) { sendDecision(p); return; }
    const render = function () {
      if (S.pending !== p) return;
      const secs = Math.max(0, Math.ceil((p.deadline - Date.now()) / 1000));
      toast([h('span', { id: 'pending-msg' }, t('undo.pending', actionName(action), secs)), ' ',
        h('button', { type: 'button', class: 'btn', id: 'send-now', on: { click: sendNow } }, t('undo.send')),
        h('button', { type: 'button', class: 'btn', id: 'undo', on: { click: undo } }, t('undo.button'))], 'pending', 0);
    };
    render();
    p.tick = setInterval(render, 250);
    p.timer = setTimeout(function () { sendDecision(p); }, UNDO_MS);
  }

  function cancelPending(silent) {
    const p = S.pending;
    if (!p) return false;
    clearTimeout(p.timer); clearInterval(p.tick);
    S.pending = null;
    if (!silent || toastKind === 'pending') hideToast();
    return true;
  }

  function undo() {
    if (!cancelPending()) return;
    toast(t('undo.done'), 'info', 1500);
    if (S.current && S.view === 'case') renderCase();
  }

  // sendNow skips the rest of the undo window.
  function sendNow() {
    const p = S.pending;
    if (!p) return;
    clearTimeout(p.timer);
    sendDecision(p);
  }

  async function sendDecision(p) {
    if (S.pending !== p || p.sent) return;
    p.sent = true;
    clearInterval(p.tick);
    // The time in the undo window is not handling time.
    p.body.held_ms = Math.min(Date.now() - p.started, UNDO_MS + 1000);
    try {
      await api('POST', '/cases/' + enc(p.caseId) + '/decide', p.body);
      S.pending = null;
      if (toastKind === 'pending') hideToast();
      toast(t('decide.sent', actionName(p.body.action)), 'ok', 1500);
      S.current = null; S.leaving = true;
      await nextCase();
    } catch (e) {
      S.pending = null;
      if (toastKind === 'pending') hideToast();
      let msg = t('decide.fail', errText(e));
      if (e.code === 'consequence_changed' && e.details) {
        msg = t('decide.changed', actionName(p.body.action), cqText(p.body.action, e.details, S.current || {}));
      }
      setBanner('error', msg, p.caseId);
      toast(msg, 'error', 8000);
      if (S.current && S.current.id === p.caseId) refreshCase();
    }
  }

  // confirmDecision asks before a decision that removes the member: the
  // explicit m, and any key whose consequence is a removal under 3-2-1.
  function confirmDecision(action, cq) {
    const c = S.current;
    const yes = h('button', { type: 'button', class: 'btn danger', id: 'confirm-yes', on: { click: function () { closeOverlay(); queueDecision(action, cq); } } },
      action === 'overturn' ? t('confirm.overturn.yes') : t('confirm.yes'));
    const no = h('button', { type: 'button', class: 'btn', id: 'confirm-no', on: { click: closeOverlay } }, t('confirm.no'));
    const title = action === 'overturn' ? t('confirm.overturn.title') : action === 'remove_member' ? t('confirm.member.title') : t('confirm.rule.title', actionName(action));
    const body = action === 'overturn' ? t('confirm.overturn.body') : t('confirm.member.body', C.sender(c) || '—', C.group(c) || '—');
    openOverlay(h('div', { class: 'dialog', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-body' },
      h('h2', { id: 'confirm-title' }, title),
      h('p', { id: 'confirm-body' }, body),
      cq ? h('p', { class: 'cq-line', id: 'confirm-cq' }, actionName(action) + ' → ' + cqText(action, cq, c)) : null,
      h('div', { class: 'dialog-actions' }, yes, no)), 'confirm');
    yes.focus();
  }

  // ---------- measuring: decide key → next case drawn ----------
  // User Timing marks (no cost worth counting): the browser test reads the
  // measures, BENCHMARKS.md reports them.
  let perfFrom = '';
  function perfDecideKey() { if (window.performance && performance.mark) { performance.mark('mg-decide'); perfFrom = S.current ? S.current.id : ''; } }
  function perfDrawn(id) {
    if (!perfFrom || id === perfFrom || !window.performance || !performance.measure) return;
    try { performance.measure('mg-decide-to-next', 'mg-decide'); } catch (e) { /* no mark */ }
    perfFrom = '';
  }

  // ---------- search ----------
  const SEARCH_FIELDS = ['q', 'sender', 'group', 'tenant', 'message_id', 'label', 'decision', 'reviewer', 'tag', 'state', 'lane', 'from', 'to'];

  async function showSearch(params) {
    S.view = 'search'; S.current = null; renderTop();
    clear(main);
    S.search.params = params;
    const offset = Math.max(0, parseInt(params.offset, 10) || 0);
    const field = function (name, type, opts) {
      const id = 's-' + name;
      let el;
      if (opts) {
        el = h('select', { id: id, name: name }, h('option', { value: '' }, t('queue.filter.all')), opts.map(function (o) { return h('option', { value: o[0] }, o[1]); }));
      } else {
        el = h('input', { id: id, name: name, type: type || 'text', maxlength: '200', autocomplete: 'off' });
      }
      el.value = params[name] || '';
      return h('div', { class: 'field' }, h('label', { for: id }, t('search.' + name)), el);
    };
    const form = h('form', { class: 'search-form', id: 'search-form', role: 'search', on: { submit: function (e) {
      e.preventDefault();
      const p = {};
      for (const n of SEARCH_FIELDS) { const el = document.getElementById('s-' + n); if (el && el.value.trim()) p[n] = el.value.trim(); }
      go('#/search' + qs(p));
    } } },
      h('div', { class: 'field wide' }, h('label', { for: 's-q' }, t('search.q')),
        h('input', { id: 's-q', name: 'q', type: 'search', maxlength: '200', value: params.q || '', placeholder: t('search.qHint'), 'aria-keyshortcuts': '/' })),
      field('sender'), field('group'), field('tenant'), field('message_id'),
      field('label', null, LABELS.map(function (l) { return [l, l + ' · ' + labelTitle(l)]; })),
      field('decision', null, [['none', t('search.undecided')]].concat(ACTION_LIST.filter(function (a) { return !META.appeal[a]; }).map(function (a) { return [a, actionName(a)]; }))),
      field('reviewer'), field('tag'),
      field('state', null, ['open', 'claimed', 'decided', 'appealed'].map(function (s) { return [s, t('state.' + s)]; })),
      field('lane', null, LANES.map(function (l) { return [l, laneName(l)]; })),
      field('from', 'date'), field('to', 'date'),
      h('div', { class: 'field buttons' }, h('button', { type: 'submit', class: 'btn primary', id: 'search-go' }, t('search.go')),
        h('a', { class: 'btn ghost', href: '#/search' }, t('search.reset'))));
    main.appendChild(h('h1', null, t('search.title')));
    main.appendChild(form);
    const results = h('section', { id: 'search-results', 'aria-live': 'polite' }, h('p', { class: 'muted' }, '…'));
    main.appendChild(results);
    // Focus before the answer comes: moving it after would pull the cursor
    // out of a field the reviewer is already typing in.
    if (!Object.keys(params).length) document.getElementById('s-q').focus();
    const q = Object.assign({}, params, { offset: offset, limit: PAGE });
    try {
      const r = (await api('GET', '/search' + qs(q))).data;
      if (S.view !== 'search') return;
      S.search.result = r; S.search.sel = 0; S.search.picked = {};
      renderSearchResults(results, r, params);
    } catch (e) {
      clear(results).appendChild(h('p', { class: 'error', id: 'search-error' }, t('err.generic', errText(e))));
    }
  }

  function summaryTable(rows, opts) {
    opts = opts || {};
    const cols = [opts.pick ? '' : null, 'queue.col.age', 'queue.col.lane', 'queue.col.state', 'queue.col.labels', 'case.sender', 'queue.col.text', 'search.col.decision'].filter(function (x) { return x !== null; });
    const table = h('table', { class: 'cases search', id: opts.id || null },
      h('thead', null, h('tr', null, cols.map(function (k) { return h('th', { scope: 'col' }, k ? t(k) : (opts.pickAll || '')); }))));
    const tb = h('tbody');
    rows.forEach(function (c, i) {
      const row = h('tr', { data: { id: c.id }, class: opts.sel === i ? 'sel' : '', 'aria-selected': opts.sel === i ? 'true' : 'false' },
        opts.pick ? h('td', { class: 'pick' }, opts.pick(c)) : null,
        h('td', { class: 'age' }, fmtTime(c.created)),
        h('td', null, laneName(c.lane)),
        h('td', null, t('state.' + c.state), c.appeal ? h('span', { class: 'badge' }, t('appeal.badge.' + c.appeal)) : null, c.reversed ? h('span', { class: 'badge' }, t('search.reversed')) : null),
        h('td', null, (c.labels || []).map(labelChip), (c.tags || []).map(tagChip)),
        h('td', null, senderLink(c.tenant, c.sender_id)),
        h('td', { class: 'preview' }, h('a', { href: '#/case/' + enc(c.id), class: 'open-case' }, c.preview || (c.text_missing ? t('case.noTextShort') : '∅'))),
        h('td', null, decisionCell(c.decision), opts.extra ? opts.extra(c) : null));
      tb.appendChild(row);
    });
    table.appendChild(tb);
    return table;
  }

  function renderSearchResults(box, r, params) {
    clear(box);
    const total = r.total || 0;
    box.appendChild(h('p', { class: 'total', id: 'search-total' }, t('search.total', total),
      r.from ? h('span', { class: 'muted' }, ' ' + t('search.defaultRange', fmtTime(r.from))) : null,
      r.truncated ? h('span', { class: 'error' }, ' ' + t('search.truncated')) : null));
    if (!total) { box.appendChild(h('p', { class: 'empty' }, t('search.none'))); return; }
    let bulk = null;
    const pickAll = isLead ? h('input', { type: 'checkbox', id: 'pick-all', 'aria-label': t('bulk.pickAll'), on: { change: function (e) {
      box.querySelectorAll('input.pick-case').forEach(function (cb) { if (!cb.disabled) { cb.checked = e.target.checked; S.search.picked[cb.value] = cb.checked; } });
      updateBulk();
    } } }) : null;
    const table = summaryTable(r.cases || [], { id: 'search-table', sel: S.search.sel, pickAll: pickAll,
      pick: isLead ? function (c) {
        return h('input', { type: 'checkbox', class: 'pick-case', value: c.id, disabled: c.state === 'decided' || c.appeal === 'pending', 'aria-label': t('bulk.pick', c.id),
          on: { change: function (e) { S.search.picked[c.id] = e.target.checked; updateBulk(); } } });
      } : null });
    box.appendChild(table);
    box.appendChild(pager(total, r.offset || 0, r.limit || PAGE, function (o) { go('#/search' + qs(Object.assign({}, params, { offset: o }))); }, 'search-pager'));
    if (isLead) { bulk = bulkBar(); box.appendChild(bulk); }
    function updateBulk() {
      const n = Object.keys(S.search.picked).filter(function (k) { return S.search.picked[k]; }).length;
      const cnt = document.getElementById('bulk-count');
      if (cnt) cnt.textContent = t('bulk.count', n);
      const go2 = document.getElementById('bulk-go');
      if (go2) go2.disabled = n === 0;
    }
  }

  // The leads' bulk bar: one decision for the picked cases, after a dry
  // run shows what it would do (and how many members it removes).
  function bulkBar() {
    const act = h('select', { id: 'bulk-action', 'aria-label': t('bulk.action') }, ACTION_LIST.filter(function (a) { return !META.appeal[a]; }).map(function (a) { return h('option', { value: a }, actionName(a)); }));
    act.value = 'remove';
    const labels = h('div', { class: 'bulk-labels', role: 'group', 'aria-label': t('bulk.labels') }, LABELS.map(function (l) {
      const id = 'bl-' + l;
      return h('label', { class: 'lf', for: id }, h('input', { type: 'checkbox', id: id, value: l }), ' ', labelChip(l));
    }));
    const note = h('input', { type: 'text', id: 'bulk-note', maxlength: '2000', placeholder: t('bulk.note'), 'aria-label': t('bulk.note') });
    return h('section', { class: 'panel bulk', id: 'bulk-bar' }, h('h2', null, t('bulk.title'), ' ', h('span', { id: 'bulk-count', class: 'muted' }, t('bulk.count', 0))),
      h('div', { class: 'row' }, act, note, h('button', { type: 'button', class: 'btn primary', id: 'bulk-go', disabled: true, on: { click: function () {
        runBulk(act.value, Array.from(labels.querySelectorAll('input:checked')).map(function (i) { return i.value; }), note.value);
      } } }, t('bulk.go'))), labels);
  }

  async function runBulk(action, labels, note) {
    const ids = Object.keys(S.search.picked).filter(function (k) { return S.search.picked[k]; });
    if (!ids.length) return;
    const body = { case_ids: ids, action: action, labels: labels, note: note };
    let dry;
    try { dry = (await api('POST', '/bulk-decide', Object.assign({ dry_run: true }, body))).data; }
    catch (e) { toast(t('err.generic', errText(e)), 'error'); return; }
    const res = dry.results || [];
    const ok = res.filter(function (x) { return x.ok; }).length;
    const needLabel = res.filter(function (x) { return x.ok && x.consequence && x.consequence.violation; }).length > 0 && !labels.length;
    const yes = h('button', { type: 'button', class: 'btn danger', id: 'bulk-confirm', disabled: needLabel || ok === 0, on: { click: async function () {
      closeOverlay();
      try {
        const r = (await api('POST', '/bulk-decide', body)).data;
        toast(t('bulk.done', r.decided, ids.length), r.decided === ids.length ? 'ok' : 'error', 6000);
      } catch (e) { toast(t('err.generic', errText(e)), 'error'); }
      showSearch(S.search.params);
    } } }, t('bulk.confirm', ok));
    const no = h('button', { type: 'button', class: 'btn', id: 'bulk-cancel', on: { click: closeOverlay } }, t('confirm.no'));
    openOverlay(h('div', { class: 'dialog', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'bulk-title', id: 'bulk-dialog' },
      h('h2', { id: 'bulk-title' }, t('bulk.dialog', actionName(action), ids.length)),
      h('p', { id: 'bulk-summary' }, t('bulk.summary', ok, dry.removals || 0, ids.length - ok)),
      needLabel ? h('p', { class: 'error' }, t('decide.needLabel', actionName(action))) : null,
      h('ul', { class: 'bulk-list' }, res.slice(0, 50).map(function (x) {
        return h('li', { class: x.ok ? '' : 'error' }, h('code', null, x.case_id), ' ', x.ok ? cqText(action, x.consequence, { message: { sender: { id: 'x' } } }) : x.error);
      })),
      h('div', { class: 'dialog-actions' }, yes, no)), 'confirm');
    (needLabel ? no : yes).focus();
  }

  // ---------- a sender's page ----------
  async function showSender(tenant, sender, params) {
    S.view = 'sender'; S.current = null; renderTop();
    clear(main);
    const offset = Math.max(0, parseInt(params.offset, 10) || 0);
    main.appendChild(h('h1', null, t('sender.title', sender), tenant ? h('span', { class: 'muted' }, ' · ' + t('case.tenant') + ' ' + tenant) : null));
    const box = h('section', { id: 'sender-page' }, h('p', { class: 'muted' }, '…'));
    main.appendChild(box);
    try {
      const d = (await api('GET', '/senders/' + enc(sender) + qs({ tenant: tenant, offset: offset, limit: PAGE }))).data;
      if (S.view !== 'sender') return;
      clear(box);
      const v = d.violations || {};
      box.appendChild(section(t('sender.record'), [
        h('p', { id: 'sender-violations' }, h('strong', null, t('case.violations', v.count || 0)), v.ads ? ' · ' + t('case.adsStrikes', v.ads) : ''),
        (d.strikes || []).length ? h('table', { class: 'reports', id: 'sender-strikes' }, h('tbody', null, d.strikes.map(function (st) {
          return h('tr', null, h('td', { class: 'muted' }, fmtTime(st.at)), h('td', null, (st.labels || []).map(labelChip)), h('td', null, st.ads ? t('case.ads') : ''),
            h('td', null, h('a', { href: '#/case/' + enc(st.case_id) }, st.case_id)));
        }))) : h('p', { class: 'muted' }, t('sender.noStrikes'))]));
      box.appendChild(h('p', { class: 'total', id: 'sender-total' }, t('search.total', d.total || 0)));
      box.appendChild(summaryTable(d.cases || [], { id: 'sender-cases' }));
      box.appendChild(pager(d.total || 0, offset, PAGE, function (o) { go('#/sender/' + enc(tenant) + '/' + enc(sender) + qs({ offset: o })); }, 'sender-pager'));
    } catch (e) {
      clear(box).appendChild(h('p', { class: 'error' }, t('err.generic', errText(e))));
    }
  }

  // ---------- my decisions ----------
  async function showMine(params) {
    S.view = 'mine'; S.current = null; renderTop();
    clear(main);
    const offset = Math.max(0, parseInt(params.offset, 10) || 0);
    main.appendChild(h('h1', null, t('mine.title')));
    main.appendChild(h('p', { class: 'muted' }, t('mine.help', fmtDur(REVERSAL_S * 1000))));
    const box = h('section', { id: 'mine' }, h('p', { class: 'muted' }, '…'));
    main.appendChild(box);
    try {
      const d = (await api('GET', '/my-decisions' + qs({ offset: offset, limit: PAGE }))).data;
      if (S.view !== 'mine') return;
      clear(box);
      const win = (d.reversal_seconds || REVERSAL_S) * 1000;
      box.appendChild(h('p', { class: 'total', id: 'mine-total' }, t('search.total', d.total || 0)));
      if (!(d.cases || []).length) { box.appendChild(h('p', { class: 'empty' }, t('mine.none'))); return; }
      box.appendChild(summaryTable(d.cases, { id: 'mine-table', extra: function (c) {
        const until = c.decision ? Date.parse(c.decision.at) + win : 0;
        const open = until > Date.now() && !c.appeal && c.state === 'decided';
        return open ? h('span', { class: 'reverse' }, ' ',
          h('span', { class: 'muted', data: { until: new Date(until).toISOString() } }, t('mine.until', new Date(until).toLocaleTimeString(lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false }))), ' ',
          h('button', { type: 'button', class: 'btn reverse-btn', data: { id: c.id }, on: { click: function () { askReverse(c.id); } } }, t('mine.reverse'))) : null;
      } }));
      box.appendChild(pager(d.total || 0, offset, PAGE, function (o) { go('#/mine' + qs({ offset: o })); }, 'mine-pager'));
    } catch (e) {
      clear(box).appendChild(h('p', { class: 'error' }, t('err.generic', errText(e))));
    }
  }

  function askReverse(id) {
    promptDialog({ id: 'reverse-dialog', title: t('reverse.title'), body: t('reverse.body'), label: t('reverse.reason'), required: 1,
      ok: t('reverse.ok'), submit: async function (reason) {
        const r = await api('POST', '/cases/' + enc(id) + '/reverse', { reason: reason });
        take(r.data); S.leaving = true;
        toast(t('toast.reversed'), 'ok');
        go('#/case/' + id);
      } });
  }

  // ---------- dashboard (leads) ----------
  function destroyCharts() { S.charts.forEach(function (ch) { ch.destroy(); }); S.charts = []; }
  const PALETTE = ['#1f77b4', '#d62728', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

  function chartBox(id, title) {
    const canvas = h('canvas', { id: id, role: 'img', 'aria-label': title });
    return { canvas: canvas, el: h('figure', { class: 'chart' }, h('figcaption', null, title), h('div', { class: 'chart-wrap' }, canvas)) };
  }
  function addChart(canvas, config) {
    if (!window.Chart) return;
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    S.charts.push(new window.Chart(canvas, config));
  }
  function pairs(obj) {
    // accepts {k: n} or [{key|name|label|term|reviewer, count|n|value}]
    if (!obj) return [];
    if (Array.isArray(obj)) return obj.map(function (x) { return [String(x.key || x.name || x.label || x.term || x.reviewer || x.action || ''), +(x.count || x.n || x.value || x.decisions || 0), x]; });
    return Object.keys(obj).map(function (k) { const v = obj[k]; return [k, typeof v === 'number' ? v : +(v.count || v.decisions || 0), v]; });
  }

  const DASH_DAYS = 14;
  function isoDay(ms) { return new Date(ms).toISOString().slice(0, 10); }

  async function loadDashboard() {
    const from = isoDay(Date.now() - (DASH_DAYS - 1) * 864e5);
    const [st, au] = await Promise.all([
      api('GET', '/stats'),
      api('GET', '/audit' + qs({ from: from, limit: 10000 }) + '&kind=decision&kind=escalation&kind=report').catch(function () { return { data: null }; }),
    ]);
    return { stats: st.data || {}, audit: au.data };
  }

  // Chart.js (the largest asset by far) loads only when a lead opens the
  // dashboard; reviewers never download it.
  let chartLib = null;
  function loadChartLib() {
    if (window.Chart) return Promise.resolve();
    if (!chartLib) {
      chartLib = new Promise(function (resolve, reject) {
        const s = document.createElement('script');
        s.src = CFG.base + '/static/vendor/chart.umd.min.js';
        s.onload = resolve;
        s.onerror = function () { chartLib = null; reject(new Error('chart library')); };
        document.head.appendChild(s);
      });
    }
    return chartLib;
  }

  async function showDashboard() {
    S.view = 'dashboard'; renderTop();
    clear(main);
    main.appendChild(h('h1', null, t('dash.title')));
    let d;
    try { const both = await Promise.all([loadDashboard(), loadChartLib()]); d = both[0]; }
    catch (e) { main.appendChild(h('p', { class: 'error' }, e.status === 403 ? t('dash.forbidden') : t('err.generic', errText(e)))); return; }
    if (S.view !== 'dashboard') return;
    renderDashboard(d);
    if (!CFG.events) every(Math.max(CFG.poll, 15000), refreshDashboard);
  }

  async function refreshDashboard() {
    if (S.view !== 'dashboard') return;
    try { const d = await loadDashboard(); if (S.view === 'dashboard') { destroyCharts(); renderDashboard(d); } } catch (e) { /* the next tick retries */ }
  }

  // aggregate turns audit events into per-day and per-reviewer figures.
  function aggregate(audit) {
    const days = {};
    for (let i = DASH_DAYS - 1; i >= 0; i--) {
      days[isoDay(Date.now() - i * 864e5)] = { review: 0, patrol: 0, reports: 0, decisions: 0, approve: 0, remove: 0, warn: 0, remove_member: 0, handling: 0 };
    }
    const reviewers = {};
    const evs = (audit && audit.events) || [];
    for (const ev of evs) {
      const day = days[String(ev.at || '').slice(0, 10)];
      if (!day) continue;
      if (ev.kind === 'escalation') { if (ev.actor === 'patrol') day.patrol++; else day.review++; }
      else if (ev.kind === 'report') day.reports++;
      else if (ev.kind === 'decision') {
        day.decisions++;
        if (day[ev.action] !== undefined) day[ev.action]++;
        const ms = +((ev.detail && ev.detail.handling_ms) || 0);
        day.handling += ms;
        const r = reviewers[ev.actor] = reviewers[ev.actor] || { n: 0, ms: 0 };
        r.n++; r.ms += ms;
      }
    }
    return { days: days, reviewers: reviewers, truncated: !!(audit && audit.truncated), available: !!audit };
  }

  function dailyCSV(agg) {
    const cols = ['day', 'review_escalations', 'patrol_samples', 'reports', 'decisions', 'approve', 'remove', 'warn', 'remove_member', 'removal_rate', 'avg_handling_ms'];
    const lines = [cols.join(',')];
    for (const day of Object.keys(agg.days)) {
      const x = agg.days[day];
      const rate = x.decisions ? ((x.remove + x.remove_member) / x.decisions).toFixed(4) : '';
      lines.push([day, x.review, x.patrol, x.reports, x.decisions, x.approve, x.remove, x.warn, x.remove_member, rate, x.decisions ? Math.round(x.handling / x.decisions) : ''].join(','));
    }
    return lines.join('\r\n') + '\r\n';
  }

  let dailyBlobURL = '';
  function renderDashboard(d) {
    while (main.childNodes.length > 1) main.removeChild(main.lastChild);
    const st = d.stats;
    const agg = aggregate(d.audit);
    const from = h('input', { type: 'date', id: 'csv-from', value: isoDay(Date.now() - 30 * 864e5), 'aria-label': t('dash.from') });
    const to = h('input', { type: 'date', id: 'csv-to', value: isoDay(Date.now()), 'aria-label': t('dash.to') });
    const decLink = h('a', { class: 'btn', id: 'csv-decisions', download: 'decisions.csv', href: CFG.api + '/decisions.csv' }, t('dash.decisionsCsv'));
    const auditLink = h('a', { class: 'btn', id: 'csv-audit', download: 'audit.csv', href: CFG.api + '/audit.csv' }, t('dash.auditCsv'));
    const upd = function () {
      const q = qs({ from: from.value, to: to.value });
      decLink.setAttribute('href', safeURL(CFG.api + '/decisions.csv' + q));
      auditLink.setAttribute('href', safeURL(CFG.api + '/audit.csv' + q));
    };
    from.addEventListener('change', upd); to.addEventListener('change', upd); upd();
    if (dailyBlobURL) URL.revokeObjectURL(dailyBlobURL);
    dailyBlobURL = URL.createObjectURL(new Blob([dailyCSV(agg)], { type: 'text/csv' }));
    const dayLink = h('a', { class: 'btn', id: 'csv-daily', download: 'daily-' + isoDay(Date.now()) + '.csv' }, t('dash.dailyCsv', DASH_DAYS));
    dayLink.setAttribute('href', dailyBlobURL); // our own blob: URL, not user data

    const lanes = lanesOf(st);
    const actions = pairs(st.decisions_by_action);
    const labels = pairs(st.decisions_by_label).sort(function (a, b) { return b[1] - a[1]; }).slice(0, 10);
    const revNames = Object.keys(agg.reviewers).sort(function (a, b) { return agg.reviewers[b].n - agg.reviewers[a].n; }).slice(0, 20);
    const pct = function (x) { return x === undefined || x === null ? '—' : (x * 100).toFixed(1) + '%'; };

    const tile = function (n, label, cls, id) { return h('div', { class: 'tile ' + (cls || '') }, h('span', { class: 'tile-n', id: id || null }, String(n)), h('span', null, label)); };
    main.appendChild(h('div', { class: 'tiles' },
      tile(st.decisions || 0, t('dash.total'), '', 'tile-total'),
      tile(st.avg_handling_ms ? (st.avg_handling_ms / 1000).toFixed(1) : '—', t('dash.avg')),
      tile(st.patrol_decided ? pct(st.patrol_miss_rate) : '—', t('dash.patrol') + ' (' + (st.patrol_misses || 0) + '/' + (st.patrol_decided || 0) + ')', st.patrol_miss_rate > 0.05 ? 'warn' : '', 'tile-patrol'),
      tile(st.reported_decided ? pct(st.reports_upheld_rate) : '—', t('dash.upheld')),
      tile(st.hidden || 0, t('case.hidden')),
      lanes.map(function (l) { return tile(l.depth, laneName(l.lane) + ' · ' + (l.depth ? fmtDur(l.oldestMs) : '—'), l.breached ? 'breach' : ''); })));
    main.appendChild(h('div', { class: 'export' }, h('strong', null, t('dash.export')), ' ',
      h('label', { for: 'csv-from' }, t('dash.from')), from, h('label', { for: 'csv-to' }, t('dash.to')), to, decLink, auditLink, dayLink));

    const grid = h('div', { class: 'charts' });
    main.appendChild(grid);
    const cVol = chartBox('chart-volume', t('dash.volume', DASH_DAYS));
    const cLanes = chartBox('chart-lanes', t('dash.depth'));
    const cAct = chartBox('chart-actions', t('dash.actions'));
    const cRev = chartBox('chart-reviewers', t('dash.reviewers', DASH_DAYS));
    const cLab = chartBox('chart-labels', t('dash.labels'));
    [cVol, cLanes, cAct, cRev, cLab].forEach(function (c) { grid.appendChild(c.el); });
    if (!agg.available) cVol.el.appendChild(h('p', { class: 'muted nodata' }, t('dash.noData')));
    if (agg.truncated) cVol.el.appendChild(h('p', { class: 'muted' }, t('dash.truncated')));

    const dayKeys = Object.keys(agg.days);
    const col = function (k) { return dayKeys.map(function (x) { return agg.days[x][k]; }); };
    addChart(cVol.canvas, { type: 'bar', data: { labels: dayKeys.map(function (x) { return x.slice(5); }), datasets: [
      { label: t('dash.review'), data: col('review'), backgroundColor: '#ff7f0e', stack: 'in' },
      { label: t('dash.patrolIn'), data: col('patrol'), backgroundColor: '#17becf', stack: 'in' },
      { label: t('dash.reports'), data: col('reports'), backgroundColor: '#9467bd', stack: 'in' },
      { label: t('dash.total'), data: col('decisions'), backgroundColor: '#2ca02c', stack: 'out' },
      { type: 'line', label: t('dash.removalRate'), yAxisID: 'y1', borderColor: '#d62728', backgroundColor: '#d62728', tension: 0.2, pointRadius: 4, spanGaps: true,
        data: dayKeys.map(function (x) { const v = agg.days[x]; return v.decisions ? Math.round(1000 * (v.remove + v.remove_member) / v.decisions) / 10 : null; }) }] },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true }, y1: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false }, ticks: { callback: function (v) { return v + '%'; } } } } } });
    addChart(cLanes.canvas, { type: 'bar', data: { labels: lanes.map(function (l) { return laneName(l.lane); }), datasets: [
      { label: t('queue.depth'), data: lanes.map(function (l) { return l.depth; }), backgroundColor: '#1f77b4', yAxisID: 'y' },
      { label: t('queue.oldest') + ' (' + t('dash.minutes') + ')', data: lanes.map(function (l) { return Math.round(l.oldestMs / 6000) / 10; }), backgroundColor: lanes.map(function (l) { return l.breached ? '#d62728' : '#ff7f0e'; }), yAxisID: 'y1' }] },
    options: { scales: { y: { beginAtZero: true, position: 'left' }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } } } });
    addChart(cAct.canvas, { type: 'doughnut', data: { labels: actions.map(function (a) { return actionName(a[0]); }), datasets: [{ data: actions.map(function (a) { return a[1]; }), backgroundColor: actions.map(function (a) { return ACTION_COLOR[a[0]] || '#7f7f7f'; }) }] },
      options: { plugins: { legend: { position: 'right' } } } });
    addChart(cRev.canvas, { type: 'bar', data: { labels: revNames, datasets: [
      { label: t('dash.count'), data: revNames.map(function (r) { return agg.reviewers[r].n; }), backgroundColor: '#2ca02c', yAxisID: 'y' },
      { label: t('dash.avg'), data: revNames.map(function (r) { const x = agg.reviewers[r]; return Math.round(x.ms / x.n / 100) / 10; }), backgroundColor: '#9467bd', yAxisID: 'y1' }] },
    options: { scales: { y: { beginAtZero: true }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } } } });
    addChart(cLab.canvas, { type: 'bar', data: { labels: labels.map(function (l) { return l[0]; }), datasets: [{ label: t('dash.count'), data: labels.map(function (l) { return l[1]; }), backgroundColor: '#17becf' }] },
      options: { indexAxis: 'y', plugins: { legend: { display: false } } } });
  }
  const ACTION_COLOR = { approve: '#2ca02c', remove: '#d62728', warn: '#ff7f0e', remove_member: '#8c1c13' };

  // ---------- policy view (admins) ----------
  // Shows the files the serving engine was built from (click one to read
  // it), and, when the gateway reads its rules from folders, takes an
  // upload: the page shows the difference to the serving file first, then
  // the server checks it (compile, lint, Rego tests) with the file in place
  // before it installs it; a failure leaves the serving engine unchanged.
  async function showPolicy() {
    S.view = 'policy'; renderTop();
    clear(main);
    main.appendChild(h('h1', null, t('pol.title')));
    const status = h('section', { class: 'panel', id: 'policy-status' }, h('p', { class: 'muted' }, '…'));
    const filesBox = h('section', { class: 'panel', id: 'policy-files' }, h('p', { class: 'muted' }, '…'));
    const viewer = h('section', { class: 'panel', id: 'policy-viewer', hidden: true });
    const uploadBox = h('div', { id: 'policy-upload' });
    const result = h('section', { class: 'panel', id: 'pol-result', 'aria-live': 'polite', hidden: true });
    main.appendChild(status); main.appendChild(uploadBox); main.appendChild(result); main.appendChild(filesBox); main.appendChild(viewer);
    let files = [], uploads = {};
    try {
      const d = (await api('GET', '/files', undefined, CFG.admin)).data || {};
      files = d.files || []; uploads = d.uploads || {};
    } catch (e) { clear(filesBox).appendChild(h('p', { class: 'error' }, t('pol.unavailable', errText(e)))); }
    loadPolicyStatus(status);
    renderPolicyFiles(filesBox, viewer, files);
    if (!uploads.policy && !uploads.lexicon) {
      uploadBox.appendChild(h('section', { class: 'panel notice', id: 'pol-embedded' }, h('h2', null, t('pol.upload')), h('p', null, t('pol.embedded'))));
      return;
    }
    const file = h('input', { type: 'file', id: 'pol-file', accept: (uploads.policy ? '.rego,.json' : '') + (uploads.lexicon ? ',.txt' : '') });
    const diffBox = h('div', { id: 'pol-diff' });
    const apply = h('button', { type: 'submit', class: 'btn primary', id: 'pol-apply', disabled: true }, t('pol.apply'));
    let picked = null;
    file.addEventListener('change', async function () {
      const f = file.files && file.files[0];
      clear(diffBox); apply.disabled = !f; picked = null;
      if (!f) return;
      const text = await f.text();
      const kind = /\.txt$/i.test(f.name) ? 'lexicon' : 'policy';
      picked = { name: f.name, text: text, kind: kind };
      const cur = files.find(function (x) { return x.kind === kind && x.name === f.name; });
      let old = '';
      if (cur) { try { old = (await api('GET', '/files/' + kind + '/' + enc(f.name), undefined, CFG.admin)).data || ''; } catch (e) { old = ''; } }
      diffBox.appendChild(h('h3', null, cur ? t('pol.diff', f.name) : t('pol.newFile', f.name)));
      diffBox.appendChild(renderDiff(old, text));
    });
    const send = async function () {
      if (!picked) { file.focus(); return; }
      result.hidden = false;
      clear(result).appendChild(h('p', { class: 'muted' }, '…'));
      try {
        const r = await api('PUT', '/' + (picked.kind === 'lexicon' ? 'lexicons' : 'policies') + '/' + enc(picked.name), picked.text, CFG.admin);
        renderPolicyResult(result, true, picked.name, r.data);
        try {
          files = ((await api('GET', '/files', undefined, CFG.admin)).data || {}).files || files;
          renderPolicyFiles(filesBox, viewer, files);
        } catch (e) { /* the list refreshes on the next visit */ }
      } catch (e) {
        renderPolicyResult(result, false, picked.name, e);
      }
      loadPolicyStatus(status);
    };
    uploadBox.appendChild(section(t('pol.upload'), [h('p', { class: 'muted' }, t('pol.explain')),
      h('form', { class: 'upload', on: { submit: function (e) { e.preventDefault(); send(); } } },
        h('label', { for: 'pol-file' }, t('pol.file')), file, apply), diffBox]));
  }

  function renderPolicyFiles(box, viewer, files) {
    clear(box).appendChild(h('h2', null, t('pol.files', files.length)));
    if (!files.length) { box.appendChild(h('p', { class: 'muted' }, t('pol.noFiles'))); return; }
    box.appendChild(h('table', { class: 'reports', id: 'pol-file-list' }, h('tbody', null, files.map(function (f) {
      return h('tr', null, h('td', null, t('pol.kind.' + f.kind)),
        h('td', null, h('button', { type: 'button', class: 'linklike', data: { file: f.name }, on: { click: async function () {
          viewer.hidden = false;
          clear(viewer).appendChild(h('h2', null, f.name));
          try {
            const txt = (await api('GET', '/files/' + f.kind + '/' + enc(f.name), undefined, CFG.admin)).data || '';
            viewer.appendChild(h('pre', { class: 'file-text', id: 'pol-file-text' }, txt));
            viewer.scrollIntoView({ block: 'nearest' });
          } catch (e) { viewer.appendChild(h('p', { class: 'error' }, errText(e))); }
        } } }, f.name)),
        h('td', { class: 'muted' }, t('pol.bytes', f.bytes)), h('td', null, shortRev(f.sha256)));
    }))));
  }

  // renderDiff is a line diff (longest common subsequence; files of a few
  // thousand lines) shown as -/+ lines with a little context.
  function renderDiff(a, b) {
    const x = a.split('\n'), y = b.split('\n');
    if (x.length * y.length > 4e6) return h('p', { class: 'muted' }, t('pol.diffTooBig'));
    const n = x.length, m = y.length;
    const L = [];
    for (let i = 0; i <= n; i++) L.push(new Uint16Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    const ops = [];
    let i = 0, j = 0;
    while (i < n && j < m) {
      if (x[i] === y[j]) { ops.push([' ', x[i]]); i++; j++; }
      else if (L[i + 1][j] >= L[i][j + 1]) { ops.push(['-', x[i]]); i++; }
      else { ops.push(['+', y[j]]); j++; }
    }
    while (i < n) ops.push(['-', x[i++]]);
    while (j < m) ops.push(['+', y[j++]]);
    const changed = ops.map(function (o) { return o[0] !== ' '; });
    if (!changed.some(Boolean)) return h('p', { class: 'muted', id: 'diff-same' }, t('pol.same'));
    const near = function (k) { for (let d = -2; d <= 2; d++) if (changed[k + d]) return true; return false; };
    const pre = h('pre', { class: 'diff', id: 'diff' });
    let skipped = false;
    ops.forEach(function (o, k) {
      if (!near(k)) { if (!skipped) pre.appendChild(h('span', { class: 'diff-skip' }, '…\n')); skipped = true; return; }
      skipped = false;
      pre.appendChild(h('span', { class: o[0] === '+' ? 'diff-add' : o[0] === '-' ? 'diff-del' : 'diff-ctx' }, o[0] + ' ' + o[1] + '\n'));
    });
    return pre;
  }

  async function loadPolicyStatus(box) {
    try {
      const d = (await api('GET', '/revision', undefined, CFG.admin)).data || {};
      const lastErr = d.last_reload_error || '';
      clear(box).appendChild(h('dl', { class: 'meta' },
        h('dt', null, t('pol.revision')), h('dd', null, t('case.policy') + ' ', h('code', { id: 'rev-policy', title: d.policy || '' }, d.policy || '—'), ' · ' + t('case.lexicon') + ' ', shortRev(d.lexicon)),
        h('dt', null, t('pol.source')), h('dd', null, d.policy_dir || d.lexicon_dir ? [d.policy_dir || t('pol.embeddedShort'), ' · ', d.lexicon_dir || t('pol.embeddedShort')] : t('pol.embeddedShort')),
        h('dt', null, t('pol.lastError')), h('dd', { class: lastErr ? 'error' : '' }, lastErr ? h('pre', { id: 'last-error' }, lastErr) : t('pol.none'))));
    } catch (e) {
      clear(box).appendChild(h('p', { class: 'error' }, t('pol.unavailable', errText(e))));
    }
  }

  function renderPolicyResult(box, ok, name, d) {
    box.hidden = false;
    clear(box);
    box.appendChild(h('h2', null, t('pol.result') + ' · ' + name + ': ', h('span', { class: ok ? 'ok' : 'error', id: 'pol-verdict' }, ok ? t('pol.ok') : t('pol.failed'))));
    if (ok) {
      const rev = (d && d.revision) || {};
      box.appendChild(h('p', null, t('pol.reloaded') + ' · ' + t('case.policy') + ' ', shortRev(rev.policy), ' · ' + t('case.lexicon') + ' ', shortRev(rev.lexicon)));
      return;
    }
    box.appendChild(h('p', { class: 'error' }, t('pol.rejected'), ' ', h('span', { class: 'muted' }, errText(d))));
    const details = d && d.details;
    if (Array.isArray(details) && details.length) {
      box.appendChild(h('ul', { class: 'problems', id: 'pol-problems' }, details.slice(0, 200).map(function (p) { return h('li', null, h('code', null, typeof p === 'string' ? p : JSON.stringify(p))); })));
    }
  }

  // ---------- live updates ----------
  function startLive() {
    const live = document.getElementById('live');
    if (!CFG.events || !window.EventSource) {
      live.textContent = t('live.poll', Math.round(CFG.poll / 1000));
      return;
    }
    let debounce = 0;
    const es = new EventSource(CFG.api + '/events');
    es.onopen = function () { live.textContent = t('live.sse'); live.className = 'live on'; };
    es.onerror = function () { live.textContent = t('live.down'); live.className = 'live off'; };
    es.onmessage = function (m) { onLive(m.data); };
    es.addEventListener('case', function (m) { onLive(m.data); });
    function onLive(raw) {
      let ev = {};
      try { ev = JSON.parse(raw); } catch (e) { return; }
      // ev is a CaseChange: {id, kind, state, lane, holder, revision, at}
      if (S.view === 'queue') { clearTimeout(debounce); debounce = setTimeout(loadQueue, 300); }
      if (S.view === 'dashboard') { clearTimeout(debounce); debounce = setTimeout(refreshDashboard, 2000); }
      if (S.view !== 'case' || !S.current || ev.id !== S.current.id) return;
      // Our own writes come back too; anything else about the case in
      // view — someone took it, the lease ran out, it was decided — is
      // shown at once, also while a decision waits in the undo window.
      if (ev.holder === CFG.user && ev.state === 'claimed' && ev.revision <= (S.current.revision || 0)) return;
      // A decision already on its way comes back as "decided": not a loss.
      if (S.pending && S.pending.sent && S.pending.caseId === ev.id) return;
      if (S.pending && S.pending.caseId === ev.id && (ev.holder !== CFG.user || ev.state !== 'claimed')) {
        cancelPending(true);
        const l = S.current.lease, ranOut = !!(l && Date.parse(l.expires) <= Date.now() + 1000);
        setBanner('error', ev.holder && ev.holder !== CFG.user ? t('decide.notSentTaken', ev.holder) : ev.state === 'decided' ? t('decide.notSentDecided') : ranOut ? t('decide.notSentExpired') : t('decide.notSentLost'));
        S.banner.lost = ev.state !== 'decided';
      }
      if (ev.holder !== CFG.user || ev.state !== 'claimed') refreshCase();
    }
  }

  // ---------- overlays (help, confirm, prompts) ----------
  let overlayKind = '';
  let overlayReturn = null;
  function openOverlay(node, kind) {
    overlayReturn = document.activeElement;
    clear(overlay).appendChild(node);
    overlay.hidden = false; overlayKind = kind;
  }
  function closeOverlay() {
    overlay.hidden = true; clear(overlay); overlayKind = '';
    if (overlayReturn && overlayReturn.focus && document.contains(overlayReturn)) overlayReturn.focus();
  }
  // promptDialog asks for a text (a reason, a note) and runs submit with
  // it; errors stay in the dialog.
  function promptDialog(o) {
    const input = h('textarea', { id: o.id + '-text', rows: '3', maxlength: '2000', 'aria-describedby': o.id + '-body' });
    const err = h('p', { class: 'error', id: o.id + '-error', role: 'alert', hidden: true });
    const ok = h('button', { type: 'submit', class: 'btn primary', id: o.id + '-ok' }, o.ok);
    const cancel = h('button', { type: 'button', class: 'btn', on: { click: closeOverlay } }, t('confirm.no'));
    const form = h('form', { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': o.id + '-title', id: o.id, on: { submit: async function (e) {
      e.preventDefault();
      const v = input.value.trim();
      if (Array.from(v).length < (o.required || 0)) { err.hidden = false; err.textContent = t('prompt.required'); input.focus(); return; }
      ok.disabled = true;
      try { await o.submit(v); if (overlayKind === 'prompt') closeOverlay(); }
      catch (x) { err.hidden = false; err.textContent = t('err.generic', errText(x)); ok.disabled = false; }
    } } },
      h('h2', { id: o.id + '-title' }, o.title),
      h('p', { id: o.id + '-body' }, o.body),
      h('label', { for: o.id + '-text' }, o.label), input, err,
      h('div', { class: 'dialog-actions' }, ok, cancel));
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); } });
    openOverlay(form, 'prompt');
    input.focus();
  }
  function showHelp() {
    const rows = [];
    for (const a of ACTION_LIST) rows.push([ACTION_KEY[a], actionName(a) + (META.appeal[a] ? ' · ' + t('help.appealOnly') : '') + (META.confirm[a] ? ' · ' + t('help.confirms') : '')]);
    [['u / z / Esc', 'help.u'], ['s', 'help.s'], ['n', 'help.n'], ['c', 'help.c'], ['l', 'help.l'], ['g', 'help.g'],
      ['j / k', 'help.jk'], ['Enter', 'help.enter'], ['[ / ]', 'help.page'], ['e', 'help.e'], ['x', 'help.x'], ['t', 'help.t'], ['o', 'help.o'], ['N', 'help.N'],
      ['p', 'help.p'], ['b', 'help.b'], ['/', 'help.slash'], ['1 / 2 / 3 / 4 / 5', 'help.q'], ['Esc', 'help.esc'], ['?', 'help.help']]
      .forEach(function (r) { rows.push([r[0], t(r[1])]); });
    const close = h('button', { type: 'button', class: 'btn', id: 'help-close', on: { click: closeOverlay } }, t('help.close'));
    openOverlay(h('div', { class: 'dialog help', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'help-title', id: 'help' },
      h('h2', { id: 'help-title' }, t('help.title')),
      h('p', { class: 'muted' }, t('help.cq')),
      h('table', null, h('tbody', null, rows.map(function (r) { return h('tr', null, h('td', null, h('kbd', null, r[0])), h('td', null, r[1])); }))),
      close), 'help');
    close.focus();
  }

  // ---------- keyboard ----------
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const tag = (e.target && e.target.tagName) || '';
    // Ticking a label box leaves the keys working; text fields take them.
    const typing = (tag === 'INPUT' && !/^(checkbox|radio|button|submit|reset|file)$/i.test(e.target.type || '')) ||
      tag === 'TEXTAREA' || tag === 'SELECT' || (e.target && e.target.isContentEditable);
    if (e.key === 'Escape') {
      if (overlayKind) { e.preventDefault(); closeOverlay(); return; }
      if (typing) { e.target.blur(); return; }
      if (S.pending) { e.preventDefault(); undo(); return; }
      if (S.view === 'case') { e.preventDefault(); go('#/queue'); }
      return;
    }
    if (typing) return;
    if (overlayKind === 'confirm') {
      if (e.key === 'y' || e.key === 'Y') { e.preventDefault(); const y = document.getElementById('confirm-yes') || document.getElementById('bulk-confirm'); if (y && !y.disabled) y.click(); }
      return;
    }
    if (overlayKind) return;
    const k = e.key;
    if (k === '?') { e.preventDefault(); showHelp(); return; }
    if (k === 'b') { toggleBlur(); return; }
    if (k === 'p') { toggleReveal(); return; }
    if (k === '1') { go('#/queue'); return; }
    if (k === '2' && isLead) { go('#/dashboard'); return; }
    if (k === '3' && isAdmin) { go('#/policy'); return; }
    if (k === '4') { go('#/search'); return; }
    if (k === '5') { go('#/mine'); return; }
    if (k === '/') { e.preventDefault(); if (S.view === 'search') document.getElementById('s-q').focus(); else go('#/search'); return; }
    if (k === 'u' || k === 'z') { if (S.pending) { e.preventDefault(); undo(); } return; }
    if (k === 's' || (k === 'Enter' && S.pending)) { if (S.pending) { e.preventDefault(); sendNow(); } return; }
    if (k === '[' || k === ']') {
      const pg = main.querySelector('.pager');
      if (pg) { const b = pg.querySelectorAll('button')[k === '[' ? 0 : 1]; if (b && !b.disabled) b.click(); }
      return;
    }
    if (S.view === 'queue') {
      if (k === 'n') { e.preventDefault(); nextCase(); }
      else if (k === 'j') moveSel(1);
      else if (k === 'k') moveSel(-1);
      else if (k === 'Enter' && S.cases[S.sel] && !(e.target && e.target.closest && e.target.closest('button, a, form'))) { e.preventDefault(); openCase(S.cases[S.sel].id); }
      return;
    }
    if (S.view === 'search' || S.view === 'sender' || S.view === 'mine') {
      const rows = main.querySelectorAll('table.cases tbody tr');
      if (!rows.length) return;
      let i = Array.from(rows).findIndex(function (r) { return r.classList.contains('sel'); });
      if (k === 'j' || k === 'k') {
        if (i >= 0) rows[i].classList.remove('sel');
        i = Math.max(0, Math.min(rows.length - 1, (i < 0 ? -1 : i) + (k === 'j' ? 1 : -1)));
        rows[i].classList.add('sel'); rows[i].scrollIntoView({ block: 'nearest' });
      } else if (k === 'Enter' && i >= 0 && !(e.target && e.target.closest && e.target.closest('button, a, form'))) {
        e.preventDefault(); go('#/case/' + rows[i].dataset.id);
      } else if (k === 'x' && i >= 0) {
        const cb = rows[i].querySelector('input.pick-case');
        if (cb && !cb.disabled) cb.click();
      }
      return;
    }
    if (S.view === 'case') {
      if (ACTIONS[k]) { e.preventDefault(); perfDecideKey(); startDecision(ACTIONS[k]); }
      else if (k === 'n') { e.preventDefault(); if (!S.pending) skipToNext(); }
      else if (k === 'c') { e.preventDefault(); if (S.current && !C.mine(S.current) && !S.pending) reclaim(); }
      else if (k === 'j') focusMatch(S.matchIdx + 1);
      else if (k === 'k') focusMatch(S.matchIdx - 1);
      else if (k === 'e') extendLease();
      else if (k === 'x') releaseCase();
      else if (k === 'l') { e.preventDefault(); askEscalate(); }
      else if (k === 'g') { e.preventDefault(); requestText(); }
      else if (k === 't') toggleNorm();
      else if (k === 'o') { e.preventDefault(); focusOnKeyUp = { key: 'o', id: 'note' }; }
      else if (k === 'N') { e.preventDefault(); focusOnKeyUp = { key: 'N', id: 'team-note' }; }
    }
  });

  // "o" / "N" move into their field when the key is released, so the
  // key's own character never lands in it.
  let focusOnKeyUp = null;
  document.addEventListener('keyup', function (e) {
    if (focusOnKeyUp && e.key === focusOnKeyUp.key) {
      const n = document.getElementById(focusOnKeyUp.id);
      focusOnKeyUp = null;
      if (n) n.focus();
    }
  });

  // n in a case view gives the current case back and takes the next one.
  async function skipToNext() {
    const c = S.current;
    if (c && C.mine(c) && !c.decision) {
      try { await api('POST', '/cases/' + enc(c.id) + '/release', { token: C.token(c) }); } catch (e) { /* lease may be gone */ }
    }
    S.current = null; S.leaving = true;
    nextCase();
  }

  // What a failing browser test prints about the page (no data beyond ids).
  window.__mgState = function () {
    const c = S.current;
    return { view: S.view, pending: !!S.pending, overlay: overlayKind, consPending: !!S.consPromise,
      active: document.activeElement ? document.activeElement.tagName + '#' + document.activeElement.id : '',
      current: c ? { id: c.id, state: c.state, holder: c.lease ? c.lease.holder : '', expires: c.lease ? c.lease.expires : '' } : null,
      banner: S.banner ? S.banner.text : '', toast: toastEl.hidden ? '' : toastEl.textContent, now: new Date().toISOString() };
  };

  // ---------- start ----------
  (async function start() {
    try {
      applyMeta((await api('GET', '/meta')).data || {});
    } catch (e) {
      toast(t('error.meta'), 'error', 0);
      return;
    }
    renderTop();
    startLive();
    route();
  })();
})();
