// The node's transparency log (issue #16) as the admin sees it: the log's
// latest signed checkpoint (GET /federation/log/checkpoint), each catalogue
// entry's place in it with a link to its offline proof (GET
// /federation/bundle), and an upstream node whose log failed a consistency
// check, with the admin's way out (POST /federation/accept-upstream-log).
// Whatever the node does not serve (an older node, the log turned off) is
// simply not shown.
import { api, text, download, path, ApiError, explain } from './api.js';
import { h, facts, run, when } from './dom.js';
import { adminAction, said } from './actions.js';

// parseCheckpoint reads a signed checkpoint's body (C2SP tlog-checkpoint:
// origin, size, base64 root hash, then the note's blank line and
// signatures); null when it is not one.
export function parseCheckpoint(signed) {
  if (typeof signed !== 'string') return null;
  const end = signed.indexOf('\n\n');
  if (end < 0) return null;
  const [origin, size, root] = signed.slice(0, end).split('\n');
  if (!origin || !/^(0|[1-9][0-9]*)$/.test(size || '') || !/^[A-Za-z0-9+/]{43}=$/.test(root || '')) return null;
  const signatures = signed.slice(end + 2).split('\n').filter((l) => l.startsWith('— ')).length;
  return { origin, size: Number(size), root, signatures };
}

// checkpointView shows a checkpoint: what it states, then its full text.
export function checkpointView(signed, verifierKey) {
  const c = parseCheckpoint(signed);
  return [
    c ? facts([
      ['Entries', h('span', { class: 'log-size' }, String(c.size))],
      ['Root hash', h('code', { class: 'hash log-root' }, c.root)],
      ['Origin', h('code', { class: 'log-origin' }, c.origin)],
      verifierKey ? ['Verifier key', h('code', { class: 'hash log-vkey' }, verifierKey)] : null,
    ]) : h('p', { class: 'reason warn' }, 'The node served a checkpoint this page cannot read.'),
    h('details', { class: 'checkpoint' },
      h('summary', {}, 'Signed checkpoint'),
      h('pre', { class: 'checkpoint-text' }, String(signed))),
  ];
}

// initLog fills the catalogue's "Transparency log" panel; a node without a
// log (404) hides it.
export function initLog() {
  const panel = document.getElementById('log-panel');
  const body = document.getElementById('log-body');
  const status = panel.querySelector('.status');
  const reload = document.getElementById('log-reload');

  // load never throws: the catalogue beside it must load whatever the log does.
  async function load() {
    try {
      return await fill();
    } catch (err) {
      panel.hidden = false;
      status.className = 'status error';
      status.textContent = explain(err, 'The transparency log');
      return null;
    }
  }

  async function fill() {
    let signed;
    try {
      signed = await text('/federation/log/checkpoint');
    } catch (err) {
      body.replaceChildren();
      if (err instanceof ApiError && err.status === 404) {
        panel.hidden = true;
        return null;
      }
      panel.hidden = false; // to show why
      throw err;
    }
    panel.hidden = false;
    status.replaceChildren();
    body.replaceChildren(...checkpointView(signed, await verifierKey()));
    return parseCheckpoint(signed);
  }

  reload.addEventListener('click', () => run(reload, status, 'Reading the latest checkpoint…', async () => {
    const c = await fill();
    return c ? `${c.size} ${c.size === 1 ? 'entry' : 'entries'} in the log.` : 'No log on this node.';
  }));
  return { load };
}

// verifierKey is the log's note verifier key from /federation-info, ""
// when the node does not announce one.
async function verifierKey() {
  try {
    const info = await api('GET', '/federation-info');
    return info && info.log && typeof info.log.verifier_key === 'string' ? info.log.verifier_key : '';
  } catch {
    return '';
  }
}

// logEntry is a catalogue row's place in the log, "log #N" and a link to
// its bundle; null for a row the log does not hold (or a node without
// one). status is the card's status line, where saving the bundle reports.
export function logEntry(p, status) {
  if (!Number.isSafeInteger(p.log_index) || p.log_index < 0) return null;
  const href = path('/federation/bundle', { source: p.source_id, plugin: p.plugin_id, version: p.version });
  const link = h('a', {
    href, class: 'bundle-link', 'data-action': 'bundle', rel: 'noopener',
    title: 'The offline proof of this file: check it with pfn verify -bundle',
    onclick: (e) => {
      e.preventDefault();
      run(e.currentTarget, status, 'Fetching the bundle…', () => saveBundle(p, href));
    },
  }, 'bundle');
  return h('span', { class: 'log-entry' }, h('span', { class: 'log-index' }, 'log #' + p.log_index), ' ', link);
}

// saveBundle fetches the bundle with the admin's key (a catalogue that is
// not public needs it) and hands it to the browser as a file.
async function saveBundle(p, href) {
  const blob = await download(href);
  const name = (p.plugin_id + '-' + p.version).replace(/[^A-Za-z0-9._-]/g, '_') + '.bundle.json';
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return `Saved ${name}: check the file with pfn verify -bundle ${name} FILE -node-key KEY.`;
}

// upstreamLogFact is a source view's line on its upstream's log; null when
// the source announces no log (upstream_log absent).
export function upstreamLogFact(src) {
  const log = src && src.upstream_log;
  if (!log || typeof log !== 'object') return null;
  const size = log.checkpoint && Number.isSafeInteger(log.size)
    ? `${log.size} ${log.size === 1 ? 'entry' : 'entries'}` : 'no checkpoint verified yet';
  return ['Upstream log', log.fault ? size + ', failed a consistency check' : size + (log.checkpoint ? ', consistent so far' : '')];
}

// upstreamLogAlert is the alert of a source whose upstream's log failed a
// consistency check (upstream_log.fault), with the admin's action; null
// when nothing failed. onAccepted gets the source view the node answers.
export function upstreamLogAlert(src, onAccepted) {
  const fault = src && src.upstream_log && src.upstream_log.fault;
  if (!fault || typeof fault !== 'object') return null;
  const id = src.id;
  return h('div', { class: 'alert log-fault', role: 'alert', dataset: { kind: String(fault.kind ?? '') } },
    h('p', { class: 'alert-head' },
      h('strong', {}, 'The upstream’s transparency log failed a consistency check: '),
      h('span', { class: 'fault-kind' }, String(fault.kind ?? 'unknown'))),
    h('p', { class: 'fault-reason' }, String(fault.reason ?? '')),
    h('p', { class: 'hint' }, 'Since ', h('time', { class: 'fault-since' }, when(fault.at)),
      '. Nothing is mirrored from this source until an admin accepts the log it serves now, or removes the source.'),
    fault.offered ? h('details', {}, h('summary', {}, 'The checkpoint it offered'), h('pre', { class: 'checkpoint-text' }, String(fault.offered))) : null,
    adminAction({
      label: "Accept the upstream's log", danger: true,
      confirm: (v) => `Accept the log ${id} serves now? Its trusted checkpoint is forgotten and the next sync pins the one it then serves: ` +
        `what the failed check found (${fault.kind}) is accepted. Reason: “${v.reason}”.`,
      send: (v) => api('POST', '/federation/accept-upstream-log', { sourceId: id, reason: v.reason }),
      // The node answers {source, message}: the source view is drawn anew.
      done: (answer) => {
        const msg = said(answer, 'Accepted: the next sync pins the upstream’s current checkpoint.');
        if (onAccepted) onAccepted(answer && answer.source ? answer.source : answer);
        return msg;
      },
    }));
}
