// video-compressor dashboard: refreshes the figures of the page from a JSON endpoint every
// REFRESH_MS without reloading it. Only textContent and attributes are written (never HTML), so
// nothing from a job title or an error message can run as markup.
'use strict';

(function () {
  const body = document.body;
  const refreshMs = Number(body.dataset.refreshMs) || 10000;
  let refreshes = 0;

  const get = (obj, path) => path.split('.').reduce((v, k) => (v === null || v === undefined ? undefined : v[k]), obj);
  const show = (value) => (value === null || value === undefined || value === '' ? '—' : String(value));

  function setLevel(el, level) {
    for (const c of Array.from(el.classList)) if (c.startsWith('level-')) el.classList.remove(c);
    el.classList.add(`level-${level}`);
  }

  /** Fills a cloned list item from its data-* bindings. */
  function fillItem(root, item) {
    for (const el of [root, ...root.querySelectorAll('*')]) {
      const d = el.dataset;
      if (!d) continue;
      if (d.field) el.textContent = item[d.field] === undefined ? '' : String(item[d.field]);
      if (d.href) {
        if (item[d.href]) el.setAttribute('href', item[d.href]);
        else el.removeAttribute('href');
      }
      if (d.width) el.setAttribute('width', String(Number(item[d.width]) || 0));
      if (d.level) setLevel(el, item[d.level]);
      if (d.flag) {
        const [key, on, off] = d.flag.split(':');
        el.classList.toggle(on, Boolean(item[key]));
        el.classList.toggle(off, !item[key]);
      }
      if (d.action) el.setAttribute('action', d.action.replace('{id}', encodeURIComponent(String(item.id))));
      if (d.show) el.hidden = !item[d.show];
    }
  }

  function renderLists(model) {
    for (const list of document.querySelectorAll('[data-list]')) {
      const name = list.dataset.list;
      const template = document.querySelector(`template[data-template="${name}"]`);
      if (!template || !template.content.firstElementChild) continue;
      const items = get(model, name) || [];
      list.replaceChildren(
        ...items.map((item) => {
          const el = template.content.firstElementChild.cloneNode(true);
          fillItem(el, item);
          return el;
        }),
      );
      const empty = document.querySelector(`[data-empty="${name}"]`);
      if (empty) empty.hidden = items.length > 0;
    }
  }

  function renderChart(model) {
    for (const svg of document.querySelectorAll('svg[data-chart]')) {
      const chart = get(model, svg.dataset.chart);
      if (!chart) continue;
      chart.bars.forEach((bar, i) => {
        const g = svg.querySelector(`g[data-index="${i}"]`);
        if (!g) return;
        const [completed, failed] = g.querySelectorAll('rect');
        completed.setAttribute('y', bar.completed.y);
        completed.setAttribute('height', bar.completed.height);
        failed.setAttribute('y', bar.failed.y);
        failed.setAttribute('height', bar.failed.height);
        g.querySelector('title').textContent = bar.title;
        g.querySelector('text').textContent = bar.showLabel ? bar.label : '';
      });
      const max = svg.querySelector('text.max');
      if (max) max.textContent = `max ${chart.max}/day`;
    }
  }

  function applyOverview(model) {
    for (const el of document.querySelectorAll('[data-text]')) el.textContent = show(get(model, el.dataset.text));
    for (const el of document.querySelectorAll('[data-bar]')) {
      const gauge = get(model, el.dataset.bar);
      el.setAttribute('width', gauge ? String(gauge.percent) : '0');
      setLevel(el, gauge ? gauge.level : 'ok');
    }
    renderLists(model);
    renderChart(model);
  }

  function applyJob(job, head) {
    for (const el of document.querySelectorAll('[data-job-field]')) el.textContent = show(job[el.dataset.jobField]);
    const bar = document.querySelector('[data-job-bar]');
    if (bar) bar.setAttribute('width', String(job.percent));
    // A new state brings new sections (player, renditions, errors): render them once.
    if (job.status !== head.dataset.jobStatus) window.location.reload();
  }

  async function refresh(endpoint, apply) {
    try {
      const res = await fetch(endpoint, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
      if (res.status === 401) {
        window.location.assign(`/admin/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
        return;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      apply(await res.json());
      refreshes += 1;
      body.dataset.refreshes = String(refreshes);
      body.classList.remove('stale');
    } catch {
      body.classList.add('stale');
    }
    window.setTimeout(() => refresh(endpoint, apply), refreshMs);
  }

  function start() {
    if (body.dataset.page === 'overview') {
      window.setTimeout(() => refresh('/admin/api/overview', applyOverview), refreshMs);
    }
    const head = document.querySelector('[data-job-id]');
    if (body.dataset.page === 'job' && head && ['pending', 'processing'].includes(head.dataset.jobStatus)) {
      const endpoint = `/admin/api/jobs/${encodeURIComponent(head.dataset.jobKey)}`;
      window.setTimeout(() => refresh(endpoint, (job) => applyJob(job, head)), refreshMs);
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
