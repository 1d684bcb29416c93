// The provenance chain of a catalogue entry (the "provenance" array of a
// /federation/plugins row): the original publisher first, then every node
// it came through before this one. A row without it (a node that does not
// record provenance yet) shows nothing extra.
import { h, token } from './dom.js';

// hopLabel words one link of the chain.
function hopLabel(hop) {
  if (hop.role === 'publisher') return 'publisher ' + (hop.source || '?');
  if (hop.role === 'node') return 'node ' + (hop.url || '?') + (hop.node ? ` (key ${hop.node})` : '');
  return String(hop.role || 'unknown') + ' ' + (hop.source || hop.url || '?');
}

function hops(list) {
  return Array.isArray(list) ? list.filter((x) => x && typeof x === 'object') : [];
}

// provenanceText is the chain on one line: "publisher pub@host → node
// http://a:8080 (key 0123…) → …"; "" when there is none.
export function provenanceText(list) {
  return hops(list).map(hopLabel).join(' → ');
}

// provenance is the chain as an element, each link titled with the key it
// was checked under; null when the row has none.
export function provenance(list) {
  const chain = hops(list);
  if (!chain.length) return null;
  return h('span', { class: 'provenance' }, chain.map((hop, i) => [
    i ? h('span', { class: 'arrow', 'aria-hidden': 'true' }, ' → ') : null,
    h('span', {
      class: 'hop hop-' + token(hop.role),
      title: hop.role === 'node' ? 'node key ' + (hop.node_key || '') + ', source there ' + (hop.source || '') : 'publisher key ' + (hop.public_key || ''),
    }, hopLabel(hop)),
  ]));
}
