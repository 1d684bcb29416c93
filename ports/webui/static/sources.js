// Sources: the list with trust and counts, the add form, and per-source
// actions (verify, refresh publisher info, sync, subscribe). The admin's
// trust actions are on each source's own page (source.js).
import { api, path, ApiError } from './api.js';
import { h, facts, run, when, percent, token, safeURL } from './dom.js';
import { upstreamLogAlert, upstreamLogFact } from './translog.js';

const fields = ['instance_url', 'username', 'public_key'];
const trustParts = ['verification', 'uptime', 'latency', 'signatures', 'age', 'subscribers'];

export function initSources({ onSources, openAudit }) {
  const form = document.getElementById('add-source');
  const list = document.getElementById('sources-list');
  const reload = document.getElementById('sources-reload');
  const listStatus = reload.parentElement.querySelector('.status');
  const removed = document.getElementById('sources-removed');

  async function load() {
    return run(reload, listStatus, 'Loading sources…', async () => {
      // A node with PFN_API_COMPAT=original answers a bare array.
      const body = await api('GET', path('/federation/sources', { include_removed: removed.checked || undefined }));
      const sources = Array.isArray(body) ? body : (body.sources || []);
      list.replaceChildren(...sources.map(card));
      if (!sources.length) list.append(h('p', { class: 'empty' }, 'No sources yet: add one above.'));
      onSources(sources);
      return sources.length + (sources.length === 1 ? ' source.' : ' sources.');
    });
  }

  function card(src) {
    const body = h('div', { class: 'card-body' });
    const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    const refresh = (s) => body.replaceChildren(...sourceBody(s, refresh));
    refresh(src);
    const id = src.id;
    const button = (label, pending, fn) => h('button', {
      type: 'button', class: 'quiet', 'data-action': token(label),
      onclick: (e) => run(e.currentTarget, status, pending, fn),
    }, label);
    const reread = async () => refresh(await api('GET', path('/federation/source-status', { sourceId: id })));

    const tags = h('input', { name: 'tags', placeholder: 'tags, comma-separated (optional)', spellcheck: 'false', 'aria-label': 'Subscribe to tags' });
    const subscribe = h('form', {
      class: 'subscribe',
      onsubmit: (e) => {
        e.preventDefault();
        run(e.submitter || e.currentTarget.querySelector('button'), status, 'Subscribing and mirroring…', async () => {
          const wanted = tags.value.split(',').map((t) => t.trim()).filter(Boolean);
          const body = { sourceId: id };
          if (wanted.length) body.filters = { tags: wanted };
          const res = await api('POST', '/federation/subscribe', body);
          await reread();
          return syncSummary('Subscribed.', res.syncResult);
        });
      },
    }, tags, h('button', { type: 'submit', 'data-action': 'subscribe' }, 'Subscribe'));

    return h('article', { class: 'card source', dataset: { sourceId: id } },
      body,
      h('div', { class: 'actions' },
        button('Verify', 'Asking the publisher to prove its key…', async () => {
          const res = await api('POST', '/federation/verify-source', { sourceId: id });
          refresh(res.source);
          if (!res.verified) throw new Error('Not verified: ' + (res.reason || res.status));
          return 'Verified: the publisher holds its key.';
        }),
        button('Refresh info', 'Reading the publisher’s federation info…', async () => {
          refresh((await api('POST', '/federation/update-source', { sourceId: id })).source);
          return 'Publisher info refreshed.';
        }),
        button('Sync now', 'Syncing…', async () => {
          const res = await api('POST', '/federation/sync-source', { sourceId: id });
          await reread();
          return syncSummary('Synced.', res.syncResult);
        }),
        h('button', { type: 'button', class: 'quiet', 'data-action': 'events', onclick: () => openAudit(id) }, 'Events'),
        h('a', { class: 'button quiet', href: '#source/' + encodeURIComponent(id), 'data-action': 'details' }, 'Details and actions')),
      subscribe,
      status);
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const submit = form.querySelector('button[type=submit]');
    const status = form.querySelector('.status');
    for (const f of fields) fieldError(f, '');
    run(submit, status, 'Adding the source and checking its key…', async () => {
      const body = Object.fromEntries(fields.map((f) => [f, form.elements[f].value.trim()]));
      // Sent only when ticked: the node refuses a key shared across hosts unless asked.
      if (form.elements.allow_shared_key.checked) body.allow_shared_key = true;
      let res;
      try {
        res = await api('POST', '/federation/add-source', body);
      } catch (err) {
        // The API names the field it refuses; put the message beside it.
        const field = err instanceof ApiError && fields.includes(err.field) && err.field;
        if (field) {
          fieldError(field, err.message);
          form.elements[field].focus();
          throw new Error('Not added: see ' + labelOf(field) + '.');
        }
        throw err;
      }
      form.reset();
      await load();
      if (!res.verified) throw new Error('Added ' + res.sourceId + ', but not verified: ' + (res.reason || res.status));
      return 'Added and verified ' + res.sourceId + '.';
    });
  });

  reload.addEventListener('click', load);
  removed.addEventListener('change', load);
  return { load };
}

function labelOf(field) {
  return document.querySelector(`label[for="as-${field}"]`).textContent.toLowerCase();
}

function fieldError(field, message) {
  const input = document.getElementById('as-' + field);
  document.getElementById('as-' + field + '-error').textContent = message;
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

// sourceBody is what the node knows of a source: its card here, the head
// of its own page (source.js). changed gets the source view an action in it
// (accepting an upstream's log) answered.
export function sourceBody(src, changed) {
  const tc = src.trust_components || {};
  const url = safeURL(src.instance_url);
  return [
    h('header', {},
      h('h3', { class: 'source-id' }, src.id),
      h('span', { class: 'badge status-' + token(src.status) }, src.status)),
    src.status_reason ? h('p', { class: src.status === 'verified' ? 'reason' : 'reason warn' }, src.status_reason) : null,
    upstreamLogAlert(src, changed),
    facts([
      ['Instance', url ? h('a', { href: url, rel: 'noopener noreferrer', target: '_blank' }, src.instance_url) : src.instance_url],
      ['Trust score', h('span', { class: 'trust-score' }, percent(src.trust_score))],
      ['Last sync', when(src.last_sync)],
      ['Last verification', when(src.last_verification)],
      ['Plugins', String(src.plugin_count ?? 0)],
      ['Subscribers', String(src.subscriber_count ?? 0)],
      ['Avg response', typeof src.avg_response_ms === 'number' ? Math.round(src.avg_response_ms) + ' ms' : '–'],
      ['Uptime', typeof src.uptime === 'number' ? `${percent(src.uptime)} of ${src.health_checks} checks` : '–'],
      src.last_sync_error ? ['Last sync error', src.last_sync_error] : null,
      src.refused_entries ? ['Refused listing entries', `${src.refused_entries}; latest: ${src.last_refusal}`] : null,
      src.protocol_version ? ['Protocol', src.protocol_version] : null,
      upstreamLogFact(src),
      src.last_failure ? ['Last failure', src.last_failure] : null,
      src.suspension ? ['Suspended', h('span', { class: 'suspension' }, standDown(src.suspension),
        src.suspension.quarantine ? ' Quarantined: its plugins are not served.' : ' Its plugins stay served.')] : null,
      src.removal ? ['Removed', h('span', { class: 'removal' }, standDown(src.removal))] : null,
    ]),
    h('details', { class: 'trust' },
      h('summary', {}, 'Trust components'),
      h('ul', { class: 'meters' }, trustParts.map((k) => h('li', {},
        h('span', {}, k),
        h('meter', { min: 0, max: 1, value: Number(tc[k]) || 0 }),
        h('span', {}, percent(tc[k])))))),
  ];
}

// standDown words an admin's suspension or removal: why, who, when.
function standDown(x) {
  return `“${x.reason}” by ${x.by || x.actor || 'an admin'}, ${when(x.at)}.`;
}

function syncSummary(head, r) {
  if (!r) return head;
  const rejected = r.rejected || [];
  return h('div', {},
    h('p', { class: 'sync-summary' }, `${head} Mirrored ${r.mirroredCount} new of ${r.wanted} wanted (${r.totalPlugins} listed, ${r.alreadyMirrored} already here).`),
    rejected.length ? h('details', { open: true },
      h('summary', {}, rejected.length + ' rejected'),
      h('ul', {}, rejected.map((x) => h('li', {}, `${x.plugin} ${x.version}: ${x.reason}`)))) : null);
}
