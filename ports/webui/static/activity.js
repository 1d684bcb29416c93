// The activity feed, newest first, a page at a time.
import { api, path, explain } from './api.js';
import { h, run, when, token } from './dom.js';

const pageSize = 50;

export function initActivity() {
  const form = document.getElementById('activity-form');
  const list = document.getElementById('activity-list');
  const more = document.getElementById('activity-more');
  const status = form.querySelector('.status');
  const submit = form.querySelector('button[type=submit]');
  let cursor = '';

  function load(reset) {
    if (reset) cursor = '';
    return run(reset ? submit : more, status, 'Loading activity…', async () => {
      let res;
      try {
        res = await api('GET', path('/federation/activity', { limit: pageSize, cursor, source: form.elements.source.value }));
      } catch (err) {
        more.hidden = true;
        throw new Error(explain(err, 'The activity feed'));
      }
      // A node in the original's shapes (PFN_API_COMPAT=original) answers a
      // bare array of the original's entries, paged by offset only.
      const entries = Array.isArray(res) ? res.map(fromOriginal) : (res.entries || []);
      if (reset) list.replaceChildren();
      list.append(...entries.map(entry));
      cursor = res.nextCursor || '';
      more.hidden = !cursor;
      const n = list.children.length;
      if (!n) return 'Nothing has happened yet.';
      return n + (n === 1 ? ' entry' : ' entries') + (cursor ? ' so far.' : '.');
    });
  }

  function fromOriginal(o) {
    const at = new Date(o.timestamp * 1000).toISOString();
    const summary = o.type === 'version_update'
      ? `${o.plugin_name || o.plugin_id} ${o.old_version} → ${o.new_version}`
      : `${o.source_username} verified`;
    return { kind: o.type, at, sourceId: o.source_id, plugin: o.plugin_id, summary };
  }

  function entry(e) {
    return h('li', { class: 'entry kind-' + token(e.kind) },
      h('time', { datetime: e.at }, when(e.at)),
      h('span', { class: 'badge' }, String(e.kind || '').replaceAll('_', ' ')),
      h('span', { class: 'who' }, e.sourceId || '', e.plugin ? ' · ' + e.plugin : ''),
      h('p', { class: 'summary' }, e.summary || ''));
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); load(true); });
  form.elements.source.addEventListener('change', () => load(true));
  more.addEventListener('click', () => load(false));
  return { load: () => load(true) };
}
