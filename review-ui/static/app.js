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
  // Labels, lanes and decision keys come from the server (GET /meta): Go is
  // their single source. loadMeta fills these before the first render.
  let LANES = [], LABELS = [], ACTION_LIST = [];
  const ACTIONS = {}, ACTION_KEY = {}, META = { labels: {}, lanes: {}, confirm: {} };
  function applyMeta(m) {
    LABELS = (m.labels || []).map(function (l) { return l.name; });
    LANES = (m.lanes || []).map(function (l) { return l.name; });
    ACTION_LIST = (m.actions || []).map(function (a) { return a.action; });
    for (const l of m.labels || []) META.labels[l.name] = l;
    for (const l of m.lanes || []) META.lanes[l.name] = l;
    for (const a of m.actions || []) { ACTIONS[a.key] = a.action; ACTION_KEY[a.action] = a.key; META.confirm[a.action] = !!a.confirm; }
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
  const UNDO_MS = 4000;
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
  function labelClass(l) { return /^[a-z_]{1,32}$/.test(l) ? 'lbl-' + l : 'lbl-other'; }
  function labelChip(l) { return h('span', { class: 'chip ' + labelClass(l), text: l, title: labelTitle(l) }); }

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

  // ---------- case accessors (wire type modgate.Case) ----------
  const C = {
    text: function (c) { return (S.unmasked && c.message && c.message.text) || c.masked_text || (c.message && c.message.text) || ''; },
    // Spans of earlier messages (message_id) belong to the context panel.
    matches: function (c) { return ((c.verdict && c.verdict.matches) || []).filter(function (m) { return !m.message_id; }); },
    reasons: function (c) { return (c.verdict && c.verdict.reasons) || []; },
    labels: function (c) { return c.labels && c.labels.length ? c.labels : ((c.verdict && c.verdict.labels) || []); },
    normalized: function (c) { return c.normalized || (c.verdict && c.verdict.normalized) || ''; },
    lease: function (c) { return c.lease || null; },
    token: function (c) { return (c.lease && c.lease.token) || ''; },
    mine: function (c) { return !!(c.lease && c.lease.holder === CFG.user && Date.parse(c.lease.expires) > Date.now()); },
    sender: function (c) { return (c.message && c.message.sender && c.message.sender.id) || ''; },
    group: function (c) { return (c.message && c.message.group && c.message.group.id) || ''; },
  };

  // take stores a CaseResponse ({case, unmasked, violations, strikes,
  // sender_cases}) as the current case.
  function take(resp) {
    if (!resp || !resp.case) return null;
    S.current = resp.case;
    S.unmasked = !!resp.unmasked;
    S.extra = { violations: resp.violations || null, strikes: resp.strikes || [], senderCases: resp.sender_cases || [] };
    return resp.case;
  }

  // ---------- state ----------
  const S = {
    view: '', filters: { lane: '', label: '', tenant: '' }, cases: [], sel: 0, stats: null,
    current: null, extra: {}, pending: null, showNorm: false, unmasked: false, matchIdx: -1,
    blur: localStorage.getItem('modgate.blur') === '1', charts: [], timers: [], leaving: false,
  };

  // ---------- toasts ----------
  let toastTimer = 0;
  function toast(msg, kind, ms) {
    clear(toastEl);
    toastEl.className = 'toast ' + (kind || '');
    add(toastEl, msg);
    toastEl.hidden = false;
    clearTimeout(toastTimer);
    if (ms !== 0) toastTimer = setTimeout(function () { toastEl.hidden = true; }, ms || 3000);
  }

  // ---------- top bar ----------
  function renderTop() {
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    const nav = clear(document.getElementById('nav'));
    const items = [['queue', 'nav.queue', '1']];
    if (isLead) items.push(['dashboard', 'nav.dashboard', '2']);
    if (isAdmin) items.push(['policy', 'nav.policy', '3']);
    for (const it of items) {
      nav.appendChild(h('a', { href: '#/' + it[0], class: 'navlink' + (S.view === it[0] ? ' active' : ''),
        'aria-current': S.view === it[0] ? 'page' : null, 'aria-keyshortcuts': it[2] }, t(it[1])));
    }
    const who = clear(document.getElementById('whoami'));
    add(who, CFG.user + ' · ' + t('role.' + CFG.role));
    document.getElementById('lang-toggle').textContent = t('lang.toggle');
    document.getElementById('logout').textContent = t('logout');
    document.getElementById('blur-toggle').textContent = S.blur ? t('blur.on') : t('blur.off');
    document.getElementById('blur-toggle').setAttribute('aria-pressed', S.blur ? 'true' : 'false');
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

  // ---------- routing ----------
  function route() {
    const hash = location.hash || '#/queue';
    const m = hash.match(/^#\/case\/([A-Za-z0-9._:-]{1,128})$/);
    stopTimers();
    destroyCharts();
    if (m) return showCase(m[1]);
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
      cancelPending();
      api('POST', '/cases/' + encodeURIComponent(id) + '/release', { token: tok }).catch(function () { });
    }
    S.leaving = false;
    route();
  });
  function go(hash) { if (location.hash === hash) route(); else location.hash = hash; }
  function stopTimers() { S.timers.forEach(clearInterval); S.timers = []; }
  function every(ms, fn) { S.timers.push(setInterval(fn, ms)); }

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
      S.sel = 0; loadQueue();
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
    await loadQueue();
    nextBtn.focus();
    if (!CFG.events) every(CFG.poll, loadQueue);
  }

  async function loadQueue() {
    if (S.view !== 'queue') return;
    try {
      const f = S.filters;
      const [st, cs] = await Promise.all([
        api('GET', '/stats').catch(function () { return { data: null }; }),
        api('GET', '/cases' + qs({ state: 'open', lane: f.lane, label: f.label, tenant: f.tenant, limit: 50 })),
      ]);
      if (S.view !== 'queue') return;
      S.stats = st.data;
      const d = cs.data;
      S.cases = (d && d.cases) || [];
      renderLanes();
      renderCaseList();
    } catch (e) {
      toast(t('err.generic', errText(e)), 'error');
    }
  }

  // lanesOf turns the stats answer into [{lane, depth, oldestMs, slaMs, breached}].
  function lanesOf(stats) {
    const out = [];
    const src = stats && (stats.lanes || stats.queue);
    for (const l of LANES) {
      let v = null;
      if (Array.isArray(src)) v = src.find(function (x) { return x.lane === l; });
      else if (src) v = src[l];
      v = v || {};
      const oldest = v.oldest_age_ms !== undefined ? v.oldest_age_ms : (v.oldest_age_seconds || v.oldest_seconds || 0) * 1000;
      const sla = v.sla_ms !== undefined ? v.sla_ms : (v.sla_seconds || 0) * 1000;
      out.push({ lane: l, depth: v.depth || v.open || 0, oldestMs: oldest, slaMs: sla,
        breached: v.breached !== undefined ? !!v.breached : (sla > 0 && oldest > sla) || (v.sla_breached || 0) > 0 });
    }
    return out;
  }

  function renderLanes() {
    const box = main.querySelector('.lanes');
    if (!box) return;
    clear(box);
    for (const l of lanesOf(S.stats)) {
      const active = S.filters.lane === l.lane;
      box.appendChild(h('button', {
        type: 'button', class: 'lane' + (l.breached ? ' breach' : '') + (active ? ' active' : ''),
        data: { lane: l.lane }, 'aria-pressed': active ? 'true' : 'false',
        on: { click: function () { S.filters.lane = active ? '' : l.lane; showQueue(); } },
      },
      h('span', { class: 'lane-name' }, laneName(l.lane)),
      h('span', { class: 'lane-depth' }, String(l.depth)),
      h('span', { class: 'lane-meta' }, t('queue.depth')),
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
      const preview = Array.from(c.preview || c.masked_text || '').slice(0, 120).join('');
      const age = c.age_seconds !== undefined ? c.age_seconds * 1000 : ageOf(c.created);
      const row = h('tr', { class: (i === S.sel ? 'sel ' : '') + (c.sla_breached ? 'breach' : ''), data: { id: c.id }, 'aria-selected': i === S.sel ? 'true' : 'false' },
        h('td', { class: 'age' }, fmtDur(age)),
        h('td', null, laneName(c.lane)),
        h('td', null, (c.labels || []).map(labelChip)),
        h('td', null, c.tenant || ''),
        h('td', { class: 'preview' }, h('button', { type: 'button', class: 'linklike', on: { click: function () { S.sel = i; openCase(c.id); } } }, preview || '∅')),
        h('td', null, c.state === 'claimed' && (c.holder || c.lease) ? t('queue.claimedby', c.holder || c.lease.holder) : t('state.' + c.state)));
      tb.appendChild(row);
    });
    table.appendChild(tb);
    list.appendChild(table);
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
      const r = await api('POST', '/cases/' + encodeURIComponent(id) + '/claim', {});
      take(r.data); S.leaving = true;
      go('#/case/' + id);
    } catch (e) {
      if (e.status === 409) { toast(t('err.conflict', errText(e)), 'error'); loadQueue(); }
      else toast(t('err.generic', errText(e)), 'error');
    }
  }

  // nextCase claims the next case by priority and age (within the lane and
  // label filters) and opens it.
  async function nextCase() {
    try {
      const f = S.filters;
      const res = await api('POST', '/claim-next', { lanes: f.lane ? [f.lane] : [] });
      const c = res.status === 204 ? null : take(res.data);
      if (!c) { if (S.view !== 'queue') { S.leaving = true; go('#/queue'); } toast(t('queue.empty'), 'info'); return; }
      S.leaving = true;
      go('#/case/' + c.id);
    } catch (e) {
      if (e.status === 404 || e.code === 'empty' || e.code === 'not_found') {
        if (S.view !== 'queue') { S.leaving = true; go('#/queue'); }
        toast(t('queue.empty'), 'info');
      } else toast(t('err.generic', errText(e)), 'error');
    }
  }

  // ---------- case view ----------
  async function showCase(id) {
    S.view = 'case'; renderTop();
    S.showNorm = false; S.matchIdx = -1;
    if (S.current && S.current.id === id) renderCase(); // the claim answer: show it at once
    try { take((await api('GET', '/cases/' + encodeURIComponent(id))).data); }
    catch (e) { clear(main); main.appendChild(h('p', { class: 'error' }, t('err.generic', errText(e)))); return; }
    if (S.view !== 'case' || !S.current || S.current.id !== id) return;
    renderCase();
    every(1000, tickLease);
    if (!CFG.events) every(CFG.poll, refreshCase);
  }

  async function refreshCase() {
    const c = S.current;
    if (!c || S.view !== 'case' || S.pending) return;
    try {
      const r = (await api('GET', '/cases/' + encodeURIComponent(c.id) + (S.unmasked ? '?unmask=true' : ''))).data;
      const n = r && r.case;
      if (!n || !S.current || S.current.id !== n.id) return;
      const heldBefore = C.mine(S.current);
      take(r);
      if (heldBefore && !C.mine(n)) {
        toast(n.lease && n.lease.holder !== CFG.user ? t('toast.caseTaken', n.lease.holder) : t('toast.claimLost'), 'error');
        renderCase();
      } else tickLease();
    } catch (e) { /* transient; the next poll retries */ }
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

  function section(title, body, cls) {
    return h('section', { class: 'panel ' + (cls || '') }, h('h2', null, title), body);
  }

  function renderCase() {
    const c = S.current;
    // A re-render (live update, unmask, toggles) keeps what the reviewer
    // already typed or ticked for this case.
    const noteEl = document.getElementById('note');
    const keep = noteEl && main.dataset.caseId === c.id ? {
      note: noteEl.value,
      labels: Array.from(main.querySelectorAll('#labelfix input:checked')).map(function (i) { return i.value; }),
    } : null;
    main.dataset.caseId = c.id;
    clear(main);
    const mine = C.mine(c);
    const text = C.text(c);
    const matches = C.matches(c);
    const v = c.verdict || {};
    const rev = v.revision || {};

    // left column: the message
    const meta = h('dl', { class: 'meta' },
      h('dt', null, t('queue.col.lane')), h('dd', null, laneName(c.lane), c.sla_breached ? h('span', { class: 'badge breach-badge' }, t('queue.breach')) : null),
      h('dt', null, t('case.tenant')), h('dd', null, c.tenant || (c.message && c.message.tenant) || '—'),
      h('dt', null, t('case.group')), h('dd', null, C.group(c) || '—', c.message && c.message.group && c.message.group.kind ? ' (' + c.message.group.kind + ')' : ''),
      h('dt', null, t('case.source')), h('dd', null, c.source || '—'),
      h('dt', null, t('case.created')), h('dd', null, fmtTime(c.created), ' · ', fmtDur(ageOf(c.created))),
      h('dt', null, t('case.priority')), h('dd', null, String(Math.round((c.priority || 0) * 100) / 100), c.hidden_pending_review ? h('span', { class: 'badge' }, t('case.hidden')) : null));

    const textBox = highlighted(text, matches);
    const normBtn = h('button', { type: 'button', class: 'btn ghost', id: 'toggle-norm', 'aria-keyshortcuts': 't', 'aria-expanded': S.showNorm ? 'true' : 'false', on: { click: toggleNorm } },
      S.showNorm ? t('case.hideNorm') : t('case.showNorm'));
    const norm = C.normalized(c);
    const normBox = S.showNorm ? h('div', { class: 'msg-norm', id: 'msg-norm' }, h('h3', null, t('case.normalized')), norm ? h('div', { class: 'msg-text small' }, norm) : h('p', { class: 'muted' }, t('case.noNorm'))) : null;
    const privacy = h('div', { class: 'privacy' });
    if (S.unmasked) privacy.appendChild(h('p', { class: 'notice', role: 'status' }, t('case.unmasked')));
    else {
      privacy.appendChild(h('span', { class: 'muted' }, t('case.masked')));
      if (isLead) privacy.appendChild(h('button', { type: 'button', class: 'btn ghost', id: 'unmask', on: { click: unmask } }, t('case.unmask')));
    }
    const matchList = h('ol', { class: 'matches', id: 'match-list' }, matches.map(function (m, i) {
      if (m.source === 'model') {
        return h('li', { data: { match: i, source: 'model' }, class: 'model-match' + (i === S.matchIdx ? ' cur' : '') },
          labelChip(m.category), ' ', h('span', { class: 'src-badge' }, t('case.modelMatch', m.subcategory || '')), ' ',
          h('span', { class: 'term' }, m.text || m.term), ' ', h('span', { class: 'muted' }, m.start + '–' + m.end));
      }
      return h('li', { data: { match: i }, class: i === S.matchIdx ? 'cur' : '' },
        labelChip(m.category), ' ', h('span', { class: 'term' }, m.text || m.term), ' ',
        h('span', { class: 'muted' }, (m.subcategory || '') + ' · ' + m.start + '–' + m.end + ' · sev ' + (m.severity || 0)));
    }));

    const left = h('div', { class: 'col-main' },
      h('div', { class: 'case-head' },
        h('button', { type: 'button', class: 'btn ghost', id: 'back', on: { click: function () { go('#/queue'); } } }, t('case.back')),
        h('h1', null, t('case.title', c.id)),
        h('span', { class: 'state state-' + (c.state || '') }, t('state.' + c.state))),
      meta,
      section(t('case.text') + ' · ' + t('case.chars', Array.from(text).length), [privacy, textBox, normBtn, normBox], 'text-panel'),
      renderContext(c),
      section(t('case.matches', matches.length), matchList),
      section(t('case.reasons'), h('ul', { class: 'reasons' }, C.reasons(c).map(function (r) {
        return h('li', null, h('code', null, r.rule), ' ', labelChip(r.label), ' ', h('span', null, r.message || ''));
      }))),
      section(t('case.revision'), h('p', { class: 'rev' }, t('case.policy') + ' ', h('code', null, rev.policy || '—'), ' · ' + t('case.lexicon') + ' ', h('code', null, rev.lexicon || '—'), ' · ' + t('case.model') + ' ', h('code', null, rev.model || '—'))),
      renderReports(c),
      renderSender(c));

    // right column: lease and decision
    const right = h('aside', { class: 'col-side', 'aria-label': 'decision' });
    if (c.decision) {
      right.appendChild(h('p', { class: 'notice' }, t('case.decided', actionName(c.decision.action), c.decision.reviewer)));
    }
    right.appendChild(h('div', { class: 'lease', id: 'lease', 'aria-live': 'off' }));
    right.appendChild(h('div', { class: 'lease-actions' },
      h('button', { type: 'button', class: 'btn', id: 'extend', disabled: !mine, 'aria-keyshortcuts': 'e', on: { click: extendLease } }, t('case.extend')),
      h('button', { type: 'button', class: 'btn', id: 'release', disabled: !mine, 'aria-keyshortcuts': 'x', on: { click: releaseCase } }, t('case.release'))));
    const acts = h('div', { class: 'actions' });
    for (const a of ACTION_LIST) {
      acts.appendChild(h('button', { type: 'button', class: 'btn act act-' + a, id: 'act-' + a, disabled: !mine || !!c.decision, 'aria-keyshortcuts': ACTION_KEY[a],
        on: { click: function () { startDecision(a); } } }, h('kbd', null, ACTION_KEY[a]), ' ', actionName(a)));
    }
    right.appendChild(acts);
    const current = keep ? keep.labels : C.labels(c);
    right.appendChild(h('fieldset', { class: 'labelfix', id: 'labelfix' }, h('legend', null, t('case.labelFix')),
      LABELS.concat(current.filter(function (l) { return LABELS.indexOf(l) < 0; })).map(function (l) {
        const id = 'lf-' + l.replace(/[^a-z_]/g, '_');
        return h('label', { class: 'lf', for: id }, h('input', { type: 'checkbox', id: id, value: l, checked: current.indexOf(l) >= 0 }), ' ', labelChip(l));
      })));
    right.appendChild(h('label', { for: 'note', class: 'note-label' }, t('case.note')));
    const note = h('textarea', { id: 'note', rows: '3', maxlength: '2000', 'aria-keyshortcuts': 'o' });
    if (keep) note.value = keep.note;
    right.appendChild(note);
    if (!mine && !c.decision) right.appendChild(h('p', { class: 'muted' }, t('case.notHeld')));
    right.appendChild(h('p', { class: 'hint' }, h('kbd', null, '?'), ' ', t('help.title')));

    main.appendChild(h('div', { class: 'case' + (S.unmasked ? ' unmasked' : '') }, left, right));
    tickLease();
    if (S.matchIdx >= 0) focusMatch(S.matchIdx);
    else textBox.focus({ preventScroll: true });
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
    if (!rs.length) return section(t('case.reports', 0), h('p', { class: 'muted' }, t('case.noReports')));
    const reasons = {};
    rs.forEach(function (r) { reasons[r.reason] = (reasons[r.reason] || 0) + 1; });
    return section(t('case.reports', rs.length), [
      h('p', null, Object.keys(reasons).map(function (k) { return h('span', { class: 'chip' }, k + ' ×' + reasons[k]); }),
        c.report_score ? h('span', { class: 'muted' }, ' ' + t('case.score') + ' ' + c.report_score.toFixed(2)) : null),
      h('table', { class: 'reports' }, h('tbody', null, rs.slice(0, 50).map(function (r) {
        return h('tr', null, h('td', null, r.reporter_id), h('td', null, r.reason), h('td', { class: 'muted' }, r.text || ''), h('td', { class: 'muted' }, fmtTime(r.at)));
      })))]);
  }

  function renderSender(c) {
    const x = S.extra || {};
    const vio = x.violations;
    const others = x.senderCases || [];
    return section(t('case.sender') + ' ' + (C.sender(c) || '—'), [
      vio ? h('p', { id: 'violations' }, h('strong', null, t('case.violations', vio.count || 0)), vio.ads ? ' · ' + t('case.adsStrikes', vio.ads) : '') : null,
      (x.strikes || []).length ? h('ul', { class: 'strikes' }, x.strikes.map(function (st) {
        return h('li', null, h('span', { class: 'muted' }, fmtTime(st.at)), ' ', (st.labels || []).map(labelChip), ' ', h('code', null, st.case_id));
      })) : null,
      h('h3', null, t('case.senderCases', others.length)),
      others.length ? h('table', { class: 'reports' }, h('tbody', null, others.map(function (o) {
        return h('tr', null, h('td', { class: 'muted' }, fmtTime(o.created)), h('td', null, t('state.' + o.state)),
          h('td', null, o.decision ? actionName(o.decision.action) : ''), h('td', null, (o.labels || []).map(labelChip)), h('td', { class: 'preview' }, o.preview || ''));
      }))) : h('p', { class: 'muted' }, '—'),
      h('h3', null, t('case.history')),
      h('ol', { class: 'history' }, (c.history || []).slice(-30).map(function (e) {
        return h('li', null, h('span', { class: 'muted' }, fmtTime(e.at)), ' ', h('strong', null, e.kind || ''), ' ', e.actor || '', e.note ? ' — ' + e.note : '');
      }))]);
  }

  function tickLease() {
    const box = document.getElementById('lease');
    const c = S.current;
    if (!box || !c) return;
    clear(box);
    const l = C.lease(c);
    if (c.decision) return;
    if (!l || l.holder !== CFG.user) { box.className = 'lease none'; return; }
    const left = Date.parse(l.expires) - Date.now();
    if (left <= 0) {
      box.className = 'lease expired';
      add(box, t('case.leaseExpired'));
      main.querySelectorAll('.actions button, #extend, #release').forEach(function (b) { b.disabled = true; });
      return;
    }
    box.className = 'lease' + (left < 60000 ? ' low' : '');
    add(box, t('case.lease', fmtDur(left)));
  }

  async function extendLease() {
    const c = S.current;
    if (!c || !C.mine(c)) return;
    try {
      const r = await api('POST', '/cases/' + encodeURIComponent(c.id) + '/extend', { token: C.token(c) });
      if (r.data && r.data.case) S.current.lease = r.data.case.lease;
      tickLease(); toast(t('toast.extended'), 'ok');
    } catch (e) { toast(t('err.generic', errText(e)), 'error'); }
  }

  async function releaseCase() {
    const c = S.current;
    if (!c || !C.mine(c)) return;
    cancelPending();
    try {
      await api('POST', '/cases/' + encodeURIComponent(c.id) + '/release', { token: C.token(c) });
      S.current = null; S.leaving = true;
      toast(t('toast.released'), 'ok');
      go('#/queue');
    } catch (e) { toast(t('err.generic', errText(e)), 'error'); }
  }

  async function unmask() {
    const c = S.current;
    try {
      take((await api('GET', '/cases/' + encodeURIComponent(c.id) + '?unmask=true')).data);
      renderCase();
    } catch (e) { toast(t('err.generic', errText(e)), 'error'); }
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

  // ---------- decisions with an undo window ----------
  function startDecision(action) {
    const c = S.current;
    if (!c || !C.mine(c) || c.decision) return;
    if (META.confirm[action]) { confirmMember(c); return; }
    queueDecision(action);
  }

  function queueDecision(action) {
    cancelPending(true);
    const c = S.current;
    const labels = Array.from(main.querySelectorAll('#labelfix input:checked')).map(function (i) { return i.value; });
    const noteEl = document.getElementById('note');
    const body = { action: action, labels: labels, note: noteEl ? noteEl.value : '', token: C.token(c) };
    const deadline = Date.now() + UNDO_MS;
    const p = { caseId: c.id, body: body, deadline: deadline };
    S.pending = p;
    main.querySelectorAll('.actions button').forEach(function (b) { b.disabled = true; });
    const render = function () {
      if (S.pending !== p) return;
      const secs = Math.max(0, Math.ceil((p.deadline - Date.now()) / 1000));
      toast([h('span', { id: 'pending-msg' }, t('undo.pending', actionName(action), secs)), ' ',
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
    if (!silent) toastEl.hidden = true;
    return true;
  }

  function undo() {
    if (!cancelPending()) return;
    toast(t('undo.done'), 'info', 1500);
    if (S.current && S.view === 'case') renderCase();
  }

  async function sendDecision(p) {
    if (S.pending !== p) return;
    clearInterval(p.tick);
    S.pending = null;
    try {
      await api('POST', '/cases/' + encodeURIComponent(p.caseId) + '/decide', p.body);
      toast(t('decide.sent', actionName(p.body.action)), 'ok', 1500);
      S.current = null;
      await nextCase();
    } catch (e) {
      toast(t('decide.fail', errText(e)), 'error', 6000);
      if (S.current && S.current.id === p.caseId) refreshCase().then(renderCase);
    }
  }

  function confirmMember(c) {
    const yes = h('button', { type: 'button', class: 'btn danger', id: 'confirm-yes', on: { click: function () { closeOverlay(); queueDecision('remove_member'); } } }, t('confirm.yes'));
    const no = h('button', { type: 'button', class: 'btn', id: 'confirm-no', on: { click: closeOverlay } }, t('confirm.no'));
    openOverlay(h('div', { class: 'dialog', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, t('confirm.member.title')),
      h('p', null, t('confirm.member.body', C.sender(c) || '—', C.group(c) || '—')),
      h('div', { class: 'dialog-actions' }, yes, no)), 'confirm');
    yes.focus();
  }

  // ---------- overlays (help, confirm) ----------
  let overlayKind = '';
  let overlayReturn = null;
  function openOverlay(node, kind) {
    overlayReturn = document.activeElement;
    clear(overlay).appendChild(node);
    overlay.hidden = false; overlayKind = kind;
  }
  function closeOverlay() {
    overlay.hidden = true; clear(overlay); overlayKind = '';
    if (overlayReturn && overlayReturn.focus) overlayReturn.focus();
  }
  function showHelp() {
    const rows = [['a', 'help.a'], ['r', 'help.r'], ['w', 'help.w'], ['m', 'help.m'], ['u', 'help.u'], ['n', 'help.n'],
      ['j / k', 'help.jk'], ['Enter', 'help.enter'], ['e', 'help.e'], ['x', 'help.x'], ['t', 'help.t'], ['o', 'help.o'],
      ['b', 'help.b'], ['1 / 2 / 3', 'help.q'], ['Esc', 'help.esc'], ['?', 'help.help']];
    const close = h('button', { type: 'button', class: 'btn', id: 'help-close', on: { click: closeOverlay } }, t('help.close'));
    openOverlay(h('div', { class: 'dialog help', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'help-title', id: 'help' },
      h('h2', { id: 'help-title' }, t('help.title')),
      h('table', null, h('tbody', null, rows.map(function (r) { return h('tr', null, h('td', null, h('kbd', null, r[0])), h('td', null, t(r[1]))); }))),
      close), 'help');
    close.focus();
  }

  // ---------- keyboard ----------
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const tag = (e.target && e.target.tagName) || '';
    const typing = tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (e.target && e.target.isContentEditable);
    if (e.key === 'Escape') {
      if (overlayKind) { e.preventDefault(); closeOverlay(); return; }
      if (typing) { e.target.blur(); return; }
      if (S.pending) { e.preventDefault(); undo(); return; }
      if (S.view === 'case') { e.preventDefault(); go('#/queue'); }
      return;
    }
    if (typing) return;
    if (overlayKind === 'confirm') {
      if (e.key === 'y' || e.key === 'Y') { e.preventDefault(); document.getElementById('confirm-yes').click(); }
      return;
    }
    if (overlayKind) return;
    const k = e.key;
    if (k === '?') { e.preventDefault(); showHelp(); return; }
    if (k === 'b') { toggleBlur(); return; }
    if (k === '1') { go('#/queue'); return; }
    if (k === '2' && isLead) { go('#/dashboard'); return; }
    if (k === '3' && isAdmin) { go('#/policy'); return; }
    if (k === 'u' || k === 'z') { if (S.pending) { e.preventDefault(); undo(); } return; }
    if (S.view === 'queue') {
      if (k === 'n') { e.preventDefault(); nextCase(); }
      else if (k === 'j') moveSel(1);
      else if (k === 'k') moveSel(-1);
      else if (k === 'Enter' && S.cases[S.sel] && !(e.target && e.target.closest && e.target.closest('button, a, form'))) { e.preventDefault(); openCase(S.cases[S.sel].id); }
      return;
    }
    if (S.view === 'case') {
      if (ACTIONS[k]) { e.preventDefault(); startDecision(ACTIONS[k]); }
      else if (k === 'n') { e.preventDefault(); if (!S.pending) skipToNext(); }
      else if (k === 'j') focusMatch(S.matchIdx + 1);
      else if (k === 'k') focusMatch(S.matchIdx - 1);
      else if (k === 'e') extendLease();
      else if (k === 'x') releaseCase();
      else if (k === 't') toggleNorm();
      else if (k === 'o') { e.preventDefault(); focusNoteOnKeyUp = true; }
    }
  });

  // "o" moves into the note field when the key is released, so the key's
  // own character never lands in the note.
  let focusNoteOnKeyUp = false;
  document.addEventListener('keyup', function (e) {
    if (focusNoteOnKeyUp && e.key === 'o') {
      focusNoteOnKeyUp = false;
      const n = document.getElementById('note');
      if (n) n.focus();
    }
  });

  // n in a case view gives the current case back and takes the next one.
  async function skipToNext() {
    const c = S.current;
    if (c && C.mine(c) && !c.decision) {
      try { await api('POST', '/cases/' + encodeURIComponent(c.id) + '/release', { token: C.token(c) }); } catch (e) { /* lease may be gone */ }
    }
    S.current = null;
    nextCase();
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

  async function showDashboard() {
    S.view = 'dashboard'; renderTop();
    clear(main);
    main.appendChild(h('h1', null, t('dash.title')));
    let d;
    try { d = await loadDashboard(); }
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
  // The admin API checks an uploaded file (compile, lint, Rego tests) with
  // the file in place before it installs it; a failure leaves the serving
  // engine unchanged and comes back as 422 with the problems listed.
  async function showPolicy() {
    S.view = 'policy'; renderTop();
    clear(main);
    main.appendChild(h('h1', null, t('pol.title')));
    const status = h('section', { class: 'panel', id: 'policy-status' }, h('p', { class: 'muted' }, '…'));
    main.appendChild(status);
    const file = h('input', { type: 'file', id: 'pol-file', accept: '.rego,.json,.txt' });
    const result = h('section', { class: 'panel', id: 'pol-result', 'aria-live': 'polite' });
    const send = async function () {
      const f = file.files && file.files[0];
      if (!f) { file.focus(); return; }
      clear(result).appendChild(h('p', { class: 'muted' }, '…'));
      try {
        const text = await f.text();
        const kind = /\.txt$/i.test(f.name) ? 'lexicons' : 'policies';
        const r = await api('PUT', '/' + kind + '/' + encodeURIComponent(f.name), text, CFG.admin);
        renderPolicyResult(result, true, f.name, r.data);
      } catch (e) {
        renderPolicyResult(result, false, f.name, e);
      }
      loadPolicyStatus(status);
    };
    main.appendChild(section(t('pol.upload'), [h('p', { class: 'muted' }, t('pol.explain')),
      h('form', { class: 'upload', on: { submit: function (e) { e.preventDefault(); send(); } } },
        h('label', { for: 'pol-file' }, t('pol.file')), file,
        h('button', { type: 'submit', class: 'btn primary', id: 'pol-apply' }, t('pol.apply')))]));
    main.appendChild(result);
    loadPolicyStatus(status);
  }

  async function loadPolicyStatus(box) {
    try {
      const d = (await api('GET', '/revision', undefined, CFG.admin)).data || {};
      const lastErr = d.last_reload_error || '';
      clear(box).appendChild(h('dl', { class: 'meta' },
        h('dt', null, t('pol.revision')), h('dd', null, t('case.policy') + ' ', h('code', { id: 'rev-policy' }, d.policy || '—'), ' · ' + t('case.lexicon') + ' ', h('code', { id: 'rev-lexicon' }, d.lexicon || '—')),
        h('dt', null, t('pol.lastError')), h('dd', { class: lastErr ? 'error' : '' }, lastErr ? h('pre', { id: 'last-error' }, lastErr) : t('pol.none'))));
    } catch (e) {
      clear(box).appendChild(h('p', { class: 'error' }, t('pol.unavailable', errText(e))));
    }
  }

  function renderPolicyResult(box, ok, name, d) {
    clear(box);
    box.appendChild(h('h2', null, t('pol.result') + ' · ' + name + ': ', h('span', { class: ok ? 'ok' : 'error', id: 'pol-verdict' }, ok ? t('pol.ok') : t('pol.failed'))));
    if (ok) {
      const rev = (d && d.revision) || {};
      box.appendChild(h('p', null, t('pol.reloaded') + ' · ' + t('case.policy') + ' ', h('code', null, rev.policy || '—'), ' · ' + t('case.lexicon') + ' ', h('code', null, rev.lexicon || '—')));
      return;
    }
    box.appendChild(h('p', { class: 'error' }, errText(d)));
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
      if (S.view === 'case' && S.current && ev.id === S.current.id && ev.holder !== CFG.user) refreshCase();
    }
  }

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
