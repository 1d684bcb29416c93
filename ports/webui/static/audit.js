// One source's event history, oldest first: the audit view.
import { api, path, explain } from './api.js';
import { h, run, when } from './dom.js';

const pageSize = 100;

export function initAudit() {
  const form = document.getElementById('audit-form');
  const list = document.getElementById('audit-list');
  const more = document.getElementById('audit-more');
  const status = form.querySelector('.status');
  const submit = form.querySelector('button[type=submit]');
  let after = '';

  function load(reset) {
    const source = form.elements.source.value;
    if (!source) return run(submit, status, '', async () => { throw new Error('Choose a source.'); });
    if (reset) after = '';
    return run(reset ? submit : more, status, 'Loading events…', async () => {
      let res;
      try {
        res = await api('GET', path('/federation/events', { source, limit: pageSize, after }));
      } catch (err) {
        more.hidden = true;
        if (reset) list.replaceChildren();
        throw new Error(explain(err, 'The event history'));
      }
      const events = res.events || [];
      if (reset) list.replaceChildren();
      list.append(...events.map(event));
      after = res.next || '';
      more.hidden = !after;
      const n = list.children.length;
      return n + (n === 1 ? ' event' : ' events') + (after ? ' so far.' : '.');
    });
  }

  function event(ev) {
    const actor = ev.metadata && (ev.metadata.actor || ev.metadata.Actor);
    return h('li', { class: 'event' },
      h('div', { class: 'event-head' },
        h('span', { class: 'position' }, '#' + ev.position),
        h('strong', { class: 'type' }, ev.type),
        h('time', { datetime: ev.recordedAt }, when(ev.recordedAt))),
      h('p', { class: 'meta' }, `${ev.stream} v${ev.streamVersion}`, actor ? ' · by ' + actor : ''),
      h('details', {},
        h('summary', {}, 'Data and metadata'),
        h('pre', {}, JSON.stringify(ev.data, null, 2)),
        ev.metadata ? h('pre', { class: 'meta' }, JSON.stringify(ev.metadata, null, 2)) : null));
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); load(true); });
  more.addEventListener('click', () => load(false));
  return {
    open(source) {
      form.elements.source.value = source;
      return load(true);
    },
  };
}
