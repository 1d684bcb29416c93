// Adding an upstream node: the admin types its URL, the node looks it up
// (GET /federation/peer-info, through the node's own outbound client), the
// page shows its node key and the sources it mirrors, and only on the
// admin's confirmation adds the chosen source with that key, through the
// ordinary POST /federation/add-source.
import { api, path, ApiError, explain } from './api.js';
import { h, facts, run, show } from './dom.js';

export function initUpstream({ onAdded }) {
  const form = document.getElementById('add-upstream');
  const url = form.elements.url;
  const urlError = document.getElementById('au-url-error');
  const peer = document.getElementById('au-peer');
  const status = form.querySelector('.status');
  const lookUp = form.querySelector('button[type=submit]');

  function fieldError(message) {
    urlError.textContent = message;
    if (message) url.setAttribute('aria-invalid', 'true');
    else url.removeAttribute('aria-invalid');
  }

  function close() {
    peer.hidden = true;
    peer.replaceChildren();
  }

  // confirmStep shows what the node said and asks which source to follow.
  function confirmStep(info) {
    const listId = 'au-sources';
    const source = h('input', { id: 'au-source', name: 'username', spellcheck: 'false', list: listId, required: true, value: info.sources[0] || '' });
    const sourceError = h('p', { class: 'field-error', 'aria-live': 'polite' });
    const yes = h('button', { type: 'button', 'data-step': 'confirm' }, 'Confirm: add this source with this key');
    yes.addEventListener('click', () => run(yes, status, 'Adding the source and checking the node holds its key…', async () => {
      sourceError.textContent = '';
      const username = source.value.trim();
      if (!username) {
        sourceError.textContent = 'Choose or type the id of a source on that node.';
        throw new Error('Not added: no source chosen.');
      }
      let res;
      try {
        res = await api('POST', '/federation/add-source', { instance_url: info.url, username, public_key: info.public_key });
      } catch (err) {
        if (err instanceof ApiError && err.field === 'username') sourceError.textContent = err.message;
        throw new Error(err instanceof ApiError && err.status ? `Refused (${err.status}): ${err.message}` : explain(err, 'Adding a source'));
      }
      form.reset();
      close();
      await onAdded();
      if (!res.verified) throw new Error('Added ' + res.sourceId + ', but not verified: ' + (res.reason || res.status));
      return 'Added and verified ' + res.sourceId + '.';
    }));
    return [
      h('h3', {}, 'Is this the node you meant?'),
      facts([
        ['Node', info.url],
        ['Node key id', h('code', { class: 'node-key-id' }, info.node_key_id)],
        ['Node key', h('code', { class: 'hash node-key' }, info.public_key)],
        ['Serves its sources', info.pfn_node ? 'yes (pfn-node/v1)' : 'not announced: adding may fail'],
        ['Features', (info.features || []).join(', ') || '–'],
      ]),
      h('label', { class: 'field', for: 'au-source' }, 'Source on that node', source,
        h('span', { class: 'hint' }, info.sources.length
          ? `${info.sources.length} listed; pick one or type another source id.`
          : 'It lists none to this node: type the source id its operator gave you.'),
        sourceError),
      h('datalist', { id: listId }, info.sources.map((s) => h('option', { value: s }))),
      h('ul', { class: 'peer-sources', 'aria-label': 'Sources on that node' }, info.sources.map((s) => h('li', {}, s))),
      h('div', { class: 'actions' }, yes,
        h('button', { type: 'button', class: 'quiet', 'data-step': 'cancel', onclick: () => { close(); show(status, 'ok', 'Nothing added.'); } }, 'Cancel')),
    ];
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    fieldError('');
    close();
    run(lookUp, status, 'Asking the node for its key…', async () => {
      let info;
      try {
        info = await api('GET', path('/federation/peer-info', { url: url.value.trim() }));
      } catch (err) {
        if (err instanceof ApiError && err.field === 'url') {
          fieldError(err.message);
          url.focus();
          throw new Error('Not looked up: see the node URL.');
        }
        throw new Error(explain(err, 'Looking a node up'));
      }
      info.sources = Array.isArray(info.sources) ? info.sources : [];
      peer.replaceChildren(...confirmStep(info));
      peer.hidden = false;
      return `Node key ${info.node_key_id}: compare it with the one its operator gave you, then confirm.`;
    });
  });
}
