// One source's page: what the node knows of it, the admin's actions on it
// (suspend or resume, remove, a new public key), its key history, its
// versions with their yanks, and its trust, uptime and response time over
// time, charted from its events.
import { api, path } from './api.js';
import { h, facts, run, show, when } from './dom.js';
import { adminAction, said } from './actions.js';
import { sourceBody } from './sources.js';
import { lineChart } from './chart.js';
import { provenance } from './provenance.js';

const versionPages = 10; // of 100 versions
const eventPages = 5; // of 1000 events per figure
const periods = [['24 h', 1], ['7 days', 7], ['30 days', 30], ['All', 0]];

export function initSource() {
  const root = document.getElementById('source-page');
  const reload = document.getElementById('source-reload');
  const status = reload.parentElement.querySelector('.status');
  const title = document.getElementById('source-title');
  let id = '';

  function load() {
    if (!id) return run(reload, status, '', async () => { throw new Error('Choose a source on the Sources tab.'); });
    return run(reload, status, 'Loading the source…', async () => {
      const src = await api('GET', path('/federation/source-status', { sourceId: id }));
      const versions = h('div', { class: 'versions' });
      const versionStatus = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
      const charts = h('div', { class: 'charts' });
      title.textContent = src.id;
      root.replaceChildren(
        h('article', { class: 'card source', dataset: { sourceId: src.id } }, sourceBody(src, () => load())),
        section('Actions', 'source-actions', h('div', { class: 'admin-actions' }, sourceActions(src, (fallback) => after(status, load, fallback)))),
        section('Keys', 'source-keys', keyHistory(src)),
        section('Versions and yanks', 'source-versions', versions, versionStatus),
        section('Over time', 'source-charts', charts));
      const [n] = await Promise.all([loadVersions(src.id, versions, versionStatus), loadCharts(src, charts)]);
      return `${n} ${n === 1 ? 'version' : 'versions'} mirrored.`;
    });
  }

  reload.addEventListener('click', load);
  return {
    open(sourceId) {
      id = sourceId;
      return load();
    },
  };
}

function section(heading, id, ...body) {
  return h('section', { class: 'panel', id, 'aria-labelledby': id + '-title' }, h('h3', { id: id + '-title' }, heading), body);
}

// after is an action's done: show the node's message on status once the
// view that the action changed has been read again (which replaces the
// action's own status line).
function after(status, reload, fallback = 'Done.') {
  return async (answer) => {
    const msg = typeof fallback === 'function' ? fallback(answer) : said(answer, fallback);
    await reload();
    show(status, 'ok', msg);
    return msg;
  };
}

// sourceActions are the admin's actions on the source; done(fallback) is
// what each does once the node agreed (fallback: its message when the
// answer has none).
function sourceActions(src, done) {
  const id = src.id;
  const act = (endpoint, body) => (v) => api('POST', endpoint, { sourceId: id, reason: v.reason, ...body(v) });
  const actions = [];
  if (src.status === 'removed') return h('p', { class: 'empty' }, 'Removed: nothing more can be done to this incarnation.');
  if (src.suspension) {
    actions.push(adminAction({
      label: 'Resume', done: done('Resumed.'),
      confirm: () => `Resume ${id}? Health checks, syncs and re-verification start again` +
        (src.suspension.quarantine ? ', and its plugins are served again.' : '.'),
      send: act('/federation/resume-source', () => ({})),
    }));
  }
  actions.push(adminAction({
    label: src.suspension ? 'Change suspension' : 'Suspend', danger: true, done: done('Suspended.'),
    fields: [{ name: 'quarantine', label: 'Quarantine: stop serving its plugins too (downloads answer 451)', type: 'checkbox' }],
    confirm: (v) => `Suspend ${id}${v.quarantine ? ' and quarantine its plugins' : ''}? No job reaches its publisher until it is resumed` +
      (v.quarantine ? '; its plugins are no longer served.' : '; its plugins stay served, marked suspended.') + ` Reason: “${v.reason}”.`,
    send: act('/federation/suspend-source', (v) => ({ quarantine: v.quarantine })),
  }), adminAction({
    label: 'Update key', done: done('The new key is proven and in use.'),
    fields: [{ name: 'public_key', label: 'New public key', type: 'textarea', required: 'Paste the new key.', hint: 'Ed25519, SPKI PEM or base64. The publisher must prove it holds it before anything changes.' },
      { name: 'allow_shared_key', label: 'Allow a key a source on another host has or had (otherwise refused, naming that source)', type: 'checkbox' }],
    confirm: (v) => `Replace ${id}'s public key? The node first asks the publisher to prove it holds the new key; the old one stays in the key history. Reason: “${v.reason}”.`,
    send: act('/federation/update-source', (v) => ({ public_key: v.public_key, ...(v.allow_shared_key ? { allow_shared_key: true } : {}) })),
  }), adminAction({
    label: 'Remove', danger: true, done: done('Removed.'),
    confirm: (v) => `Remove ${id}? Its subscriptions end, its files are deleted and downloads answer 410. Its history stays. Reason: “${v.reason}”.`,
    send: act('/federation/remove-source', () => ({})),
  }));
  return actions;
}

// keyHistory lists the keys the source has had (key_history, once the node
// records rotations); without one, the key it was added with.
function keyHistory(src) {
  const keys = Array.isArray(src.key_history) ? src.key_history : [];
  if (!keys.length) {
    return [h('p', { class: 'empty' }, 'No rotation recorded: the source uses the key it was added with.'),
      facts([['Public key', h('code', { class: 'hash' }, src.public_key)]])];
  }
  return h('div', { class: 'table-wrap' }, h('table', { class: 'keys' },
    h('thead', {}, h('tr', {}, ['Key id', 'Public key', 'Valid from', 'Valid until', 'Rotated by'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, keys.map((k) => h('tr', { class: k.valid_until ? 'old' : 'current' },
      h('td', {}, h('code', {}, k.key_id ?? '')),
      h('td', {}, h('code', { class: 'hash' }, k.public_key ?? '')),
      h('td', {}, when(k.valid_from)),
      h('td', {}, k.valid_until ? when(k.valid_until) : 'current'),
      h('td', {}, k.rotated_by ?? ''))))));
}

// loadVersions lists every mirrored version of the source, yanked ones
// included, each with its yank or unyank action, in box (status, beside
// it, outlives the list an action replaces). It returns how many.
async function loadVersions(source, box, status) {
  const all = [];
  let cursor = '';
  for (let i = 0; i < versionPages; i++) {
    const res = await api('GET', path('/federation/plugins', { source, include_yanked: true, limit: 100, cursor }));
    all.push(...(res.plugins || []));
    cursor = res.next_cursor || '';
    if (!cursor) break;
  }
  const done = after(status, () => loadVersions(source, box, status), yankMessage);
  const yanked = all.filter((p) => p.yanked).length;
  box.replaceChildren(
    h('p', { class: 'hint' }, `${all.length} ${all.length === 1 ? 'version' : 'versions'}, ${yanked} yanked` +
      (cursor ? ` (the first ${all.length} shown)` : '') + '.'),
    all.length
      ? h('ul', { class: 'version-list' }, all.map((p) => versionRow(p, done)))
      : h('p', { class: 'empty' }, 'Nothing mirrored from this source yet.'));
  return all.length;
}

function versionRow(p, done) {
  const target = { plugin: p.plugin_id, version: p.version };
  const what = `${p.name || p.plugin_id} ${p.version}`;
  const chain = provenance(p.provenance);
  return h('li', { class: p.yanked ? 'version yanked' : 'version', dataset: { plugin: p.plugin_id, version: p.version } },
    h('div', { class: 'version-head' },
      h('strong', {}, p.name || p.plugin_id), ' ',
      h('span', { class: 'badge' }, p.version),
      p.yanked ? h('span', { class: 'badge status-yanked' }, 'yanked') : null),
    p.yanked ? h('p', { class: 'reason warn' }, `Yanked ${when(p.yanked.at)}: ${p.yanked.reason}`) : null,
    chain ? h('p', { class: 'hint' }, 'Provenance: ', chain) : null,
    p.yanked
      ? adminAction({
        label: 'Unyank', done,
        confirm: (v) => `Serve ${what} again and let it count as latest? Reason: “${v.reason}”.`,
        send: (v) => api('POST', '/federation/unyank', { sourceId: p.source_id, ...target, reason: v.reason }),
      })
      : adminAction({
        label: 'Yank', danger: true, done,
        confirm: (v) => `Yank ${what}? Downloads answer 410 with your reason, listings leave it out and “latest” falls back to the newest version not yanked. Reason: “${v.reason}”.`,
        send: (v) => api('POST', '/federation/yank', { sourceId: p.source_id, ...target, reason: v.reason }),
      }));
}

function yankMessage(r) {
  const verb = r.yanked ? 'yanked' : 'served again';
  return `${r.plugin} ${r.version} ${r.recorded ? verb : 'was already ' + verb}.`;
}

// loadCharts charts the source's trust score (its trust adjustments) and
// uptime and response time (its health summaries) over the chosen period,
// from its current incarnation's registration at the earliest: the events
// of a removed incarnation stay in the source's stream but are not its.
async function loadCharts(src, box) {
  const source = src.id;
  // created_at is whole seconds, rounded: a second back covers the
  // events of the registration's own second.
  const registered = Math.max((Number(src.created_at) - 1) * 1000 || 0, 0);
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const period = h('select', { name: 'period' }, periods.map(([label, days]) => h('option', { value: days }, label)));
  period.value = '30';
  const figures = h('div', { class: 'figures' });
  const draw = () => run(period, status, 'Reading the source’s events…', async () => {
    const days = Number(period.value);
    const start = Math.max(days ? Date.now() - days * 86_400_000 : 0, registered);
    const from = start ? new Date(start).toISOString() : '';
    const [trust, health] = await Promise.all([
      eventsOf(source, 'source.trust_adjusted', from),
      eventsOf(source, 'source.health_summarized', from)]);
    const pct = (v) => Math.round(v * 100) + '%';
    const series = (events, key) => events.events.map((e) => ({ at: new Date(e.data.at || e.recordedAt), value: Number(e.data[key]) || 0 }));
    figures.replaceChildren(
      lineChart({ title: 'Trust score', series: 'trust', points: series(trust, 'new'), max: 1, format: pct }),
      lineChart({ title: 'Uptime', series: 'uptime', points: series(health, 'uptime_avg'), max: 1, format: pct }),
      lineChart({ title: 'Response time', series: 'response', points: series(health, 'response_ms_avg'), least: 10, format: (v) => Math.round(v) + ' ms' }));
    const cut = trust.more || health.more;
    return `${trust.events.length} trust adjustments, ${health.events.length} health summaries` +
      (cut ? `; the first ${eventPages * 1000} of each are shown: choose a shorter period.` : '.');
  });
  period.addEventListener('change', draw);
  box.replaceChildren(h('label', { class: 'inline' }, 'Period ', period), figures, status);
  await draw();
}

async function eventsOf(source, type, from) {
  const events = [];
  let after = '';
  for (let i = 0; i < eventPages; i++) {
    const res = await api('GET', path('/federation/events', { source, type, from, limit: 1000, after }));
    events.push(...(res.events || []));
    after = res.next || '';
    if (!after) break;
  }
  return { events, more: Boolean(after) };
}
