// Sign-in, views and the wiring between them.
import { api, session, ApiError } from './api.js';
import { h, run, show } from './dom.js';
import { initSources } from './sources.js';
import { initCatalogue } from './catalogue.js';
import { initActivity } from './activity.js';
import { initAudit } from './audit.js';
import { initSource } from './source.js';
import { initUpstream } from './upstream.js';
import { initLog } from './translog.js';

const signin = document.getElementById('signin');
const signinForm = document.getElementById('signin-form');
const signinStatus = signinForm.querySelector('.status');
const appEl = document.getElementById('app');
const signOut = document.getElementById('sign-out');
const views = ['sources', 'activity', 'catalogue', 'audit', 'source'];

const audit = initAudit();
const catalogue = initCatalogue();
const log = initLog();
const activity = initActivity();
const source = initSource();
const sources = initSources({
  onSources: fillSourceSelects,
  openAudit: (id) => { location.hash = '#audit'; audit.open(id); },
});
initUpstream({ onAdded: () => sources.load() });
const loaders = { sources: sources.load, catalogue: () => { log.load(); return catalogue.load(); }, activity: activity.load, audit: () => {}, source: (id) => source.open(id) };

// fillSourceSelects offers the known sources in every filter, keeping each
// one's current choice.
function fillSourceSelects(list) {
  for (const select of document.querySelectorAll('select.source-select')) {
    const keep = select.value;
    const first = select.options[0];
    select.replaceChildren(first, ...list.map((s) => h('option', { value: s.id }, s.id)));
    select.value = list.some((s) => s.id === keep) ? keep : '';
  }
}

// route reads the hash: a view's name, and for a source's page its id
// (#source/ID).
function route() {
  const [v, ...rest] = location.hash.slice(1).split('/');
  let arg = '';
  try {
    arg = decodeURIComponent(rest.join('/'));
  } catch { /* a mangled id: the page says to choose a source */ }
  return views.includes(v) ? { view: v, arg } : { view: 'sources', arg: '' };
}

function currentView() {
  return route().view;
}

function showView(load = true) {
  const { view: v, arg } = route();
  for (const name of views) {
    document.getElementById('view-' + name).hidden = name !== v;
    const tab = document.querySelector(`.tabs a[data-view="${name}"]`);
    if (!tab) continue; // a source's page has no tab of its own
    if (name === v) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  if (load) loaders[v](arg);
}

// enter checks the key against an admin-only endpoint before keeping it.
async function enter(key) {
  try {
    await api('GET', '/federation/sources', undefined, key);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw new Error('This key is not accepted.');
    if (err instanceof ApiError && err.status === 403) throw new Error('This is a consumer key; the admin page needs an admin key.');
    throw err;
  }
  session.set(key);
  signin.hidden = true;
  appEl.hidden = false;
  signOut.hidden = false;
  showView();
  if (currentView() !== 'sources') sources.load();
  return 'Signed in.';
}

function leave(message) {
  session.clear();
  appEl.hidden = true;
  signOut.hidden = true;
  signin.hidden = false;
  if (message) show(signinStatus, 'error', message);
  signinForm.elements.key.focus();
}

signinForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const key = signinForm.elements.key.value.trim();
  run(signinForm.querySelector('button'), signinStatus, 'Checking the key…', async () => {
    const msg = await enter(key);
    signinForm.reset();
    return msg;
  });
});
signOut.addEventListener('click', () => leave(''));
window.addEventListener('pfn:unauthorized', () => leave('The node no longer accepts this key: sign in again.'));
window.addEventListener('hashchange', () => { if (!appEl.hidden) showView(); });

if (session.key) {
  run(signinForm.querySelector('button'), signinStatus, 'Signing in…', () => enter(session.key))
    .then((ok) => { if (!ok) session.clear(); });
}
