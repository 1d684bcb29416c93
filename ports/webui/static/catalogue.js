// The mirrored catalogue: search, filters, paging, and per-plugin download
// and verify.
import { api, download, path } from './api.js';
import { h, facts, run, when, bytes, Failure } from './dom.js';
import { provenance } from './provenance.js';
import { logEntry } from './translog.js';

const pageSize = 24;

export function initCatalogue() {
  const form = document.getElementById('catalogue-form');
  const list = document.getElementById('catalogue-list');
  const more = document.getElementById('catalogue-more');
  const tagList = document.getElementById('catalogue-tags');
  const status = form.querySelector('.status');
  const submit = form.querySelector('button[type=submit]');
  const tags = new Set();
  let cursor = '';
  let shown = 0;

  function load(reset) {
    const params = {
      q: form.elements.q.value.trim(), source: form.elements.source.value,
      tag: form.elements.tag.value.trim(), limit: pageSize,
      include_yanked: form.elements.include_yanked.checked || undefined,
      include_quarantined: form.elements.include_quarantined.checked || undefined,
    };
    if (reset) { cursor = ''; shown = 0; }
    return run(reset ? submit : more, status, 'Loading plugins…', async () => {
      const res = await api('GET', path('/federation/plugins', { ...params, cursor }));
      const page = res.plugins || [];
      if (reset) list.replaceChildren();
      list.append(...page.map(card));
      shown += page.length;
      for (const p of page) for (const t of p.tags || []) tags.add(t);
      tagList.replaceChildren(...[...tags].sort().map((t) => h('option', { value: t })));
      cursor = res.next_cursor || '';
      more.hidden = !cursor;
      if (!shown) list.append(h('p', { class: 'empty' }, 'No mirrored plugin matches.'));
      return shown + (shown === 1 ? ' plugin' : ' plugins') + (cursor ? ' so far.' : '.');
    });
  }

  function byTag(tag) {
    form.elements.tag.value = tag;
    load(true);
  }

  function card(p) {
    const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    const q = { source: p.source_id, plugin: p.plugin_id, version: p.version };
    const chain = provenance(p.provenance);
    const logged = logEntry(p, status);
    return h('article', { class: 'card plugin', dataset: { plugin: p.plugin_id, source: p.source_id, version: p.version } },
      h('header', {},
        h('h3', { class: 'plugin-name' }, p.name || p.plugin_id),
        h('span', { class: 'badge' }, p.version)),
      p.description ? h('p', { class: 'description' }, p.description) : null,
      p.yanked ? h('p', { class: 'reason warn yanked' }, `Yanked ${when(p.yanked.at)}: ${p.yanked.reason}`) : null,
      p.source_status && p.source_status !== 'verified'
        ? h('p', { class: 'reason warn source-state' }, 'Its source is ' + p.source_status + '.') : null,
      facts([
        ['Plugin', p.plugin_id],
        ['Source', p.source_id],
        chain ? ['Provenance', chain] : null,
        ['Size', bytes(p.size)],
        p.bytes_attested_by ? ['Bytes attested by', p.bytes_attested_by] : null,
        ['Mirrored', when(p.mirror_date)],
        ['sha256', h('code', { class: 'hash' }, p.sha256)],
        logged ? ['Transparency log', logged] : null,
      ]),
      (p.tags || []).length ? h('ul', { class: 'tags', 'aria-label': 'Tags' }, p.tags.map((t) =>
        h('li', {}, h('button', { type: 'button', class: 'tag', title: 'Show plugins tagged ' + t, onclick: () => byTag(t) }, t)))) : null,
      h('div', { class: 'actions' },
        h('button', {
          type: 'button', 'data-action': 'download',
          onclick: (e) => run(e.currentTarget, status, 'Downloading…', () => save(p, path('/federation/download', q))),
        }, 'Download'),
        h('button', {
          type: 'button', class: 'quiet', 'data-action': 'verify',
          onclick: (e) => run(e.currentTarget, status, 'Checking signatures and stored bytes…', async () => {
            const report = await api('GET', path('/federation/verify', q));
            const node = checks(report);
            if (!report.valid) throw new Failure('Verification failed.', node);
            return node;
          }),
        }, 'Verify')),
      status);
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); load(true); });
  more.addEventListener('click', () => load(false));
  return { load: () => load(true), byTag };
}

// save fetches the file (with the key, in case the catalogue is not public),
// checks it against the listed sha256 when the browser can hash, and hands it
// to the browser as a download.
async function save(p, url) {
  const blob = await download(url);
  let check = '';
  if (globalThis.crypto && crypto.subtle) {
    const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    if (hex !== p.sha256) throw new Error(`Downloaded file has sha256 ${hex}, the catalogue lists ${p.sha256}.`);
    check = ', sha256 matches the catalogue';
  }
  const name = (p.plugin_id + '-' + p.version).replace(/[^A-Za-z0-9._-]/g, '_') + '.zip';
  const href = URL.createObjectURL(blob);
  const a = h('a', { href, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return `Downloaded ${name}: ${bytes(blob.size)}${check}.`;
}

function checks(report) {
  const rows = [
    ['Publisher signature', report.publisher_signature],
    ['Federation signature', report.federation_signature],
    ['Stored bytes', report.stored_bytes],
  ];
  return h('div', { class: 'checks' },
    h('p', {}, report.valid ? 'Valid: every check passed.' : 'Not valid.'),
    h('ul', {}, rows.map(([label, c]) => h('li', { class: c && c.ok ? 'pass' : 'fail' },
      h('span', { class: 'mark', 'aria-hidden': 'true' }, c && c.ok ? '✓' : '✗'),
      ` ${label}: ${c && c.ok ? 'passed' : 'failed'}`,
      c && c.detail ? h('span', { class: 'detail' }, ' — ' + c.detail) : null))));
}
