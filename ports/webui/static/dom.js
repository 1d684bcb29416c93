// Every element the page shows is built here. Strings become text nodes and
// attribute values, never markup, so a publisher's "<img onerror=…>" name is
// shown as those characters. No markup is ever parsed from a string.

export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// svg is h for SVG elements (the page's own charts).
export function svg(tag, attrs = {}, ...children) {
  return build(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// safeURL keeps publisher URLs that can only navigate: a "javascript:" URL
// in a link would run in the page.
export function safeURL(raw) {
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

// token turns a value into a class-name suffix from a fixed alphabet, so
// data can pick a colour but never inject a class list.
export function token(v) {
  return String(v ?? '').toLowerCase().replace(/[^a-z0-9_-]/g, '') || 'unknown';
}

export function when(v) {
  if (v === null || v === undefined || v === '' || v === 0) return 'never';
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : d.toLocaleString();
}

export function bytes(n) {
  if (typeof n !== 'number') return '–';
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

export function percent(x) {
  return typeof x === 'number' ? Math.round(x * 100) + '%' : '–';
}

// facts renders label/value pairs as a definition list.
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// run gives every action the same shape: the button is disabled and the
// status line says what is happening, then shows the result or the error.
// fn returns the result to show (text or a node).
export async function run(button, status, pending, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  show(status, 'busy', pending);
  try {
    show(status, 'ok', (await fn()) ?? 'Done.');
    return true;
  } catch (err) {
    show(status, 'error', err instanceof Failure ? err.node : err instanceof Error ? err.message : String(err));
    return false;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// Failure is an error whose explanation is richer than a line of text.
export class Failure extends Error {
  constructor(message, node) {
    super(message);
    this.node = node;
  }
}

export function show(status, kind, content) {
  status.className = 'status ' + kind;
  status.replaceChildren(content instanceof Node ? content : document.createTextNode(String(content)));
}
