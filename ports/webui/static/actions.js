// One shape for every admin action that changes trust (suspend, resume,
// remove, yank, unyank, a new key): a button opens a small form asking for a
// reason (and whatever else the action takes), a second step says exactly
// what will happen and asks to confirm, and the node's answer, or the error
// it gave, is shown beside it. The page never uses window.confirm: a dialog
// would block the tab and could not show the reason back.
import { ApiError, explain } from './api.js';
import { h, run, token } from './dom.js';

// adminAction returns the action's element.
//   label:   the button ("Suspend")
//   fields:  extra inputs, [{ name, label, type: 'checkbox' | 'textarea' | 'text', hint,
//            required: what to say when it is left empty }]
//   confirm: values => the sentence the confirmation shows
//   send:    values => the API call's promise
//   done:    answer => the message shown once it succeeded (may also re-render)
export function adminAction({ label, danger = false, fields = [], confirm, send, done }) {
  const name = token(label);
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const open = h('button', { type: 'button', class: danger ? 'quiet danger' : 'quiet', 'data-step': 'open' }, label + '…');
  const inputs = [reasonField, ...fields].map((f) => ({ f, el: input(f), error: h('p', { class: 'field-error', 'aria-live': 'polite' }) }));
  const step1 = h('div', { class: 'step' },
    inputs.map(({ f, el, error }) => f.type === 'checkbox'
      ? h('label', { class: 'inline' }, el, ' ' + f.label)
      : h('label', { class: 'field' }, f.label, el, f.hint ? h('span', { class: 'hint' }, f.hint) : null, error)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', 'data-step': 'continue' }, 'Continue'),
      h('button', { type: 'button', class: 'quiet', 'data-step': 'cancel', onclick: () => close() }, 'Cancel')));
  const question = h('p', { class: 'question' });
  const yes = h('button', { type: 'button', class: danger ? 'danger' : '', 'data-step': 'confirm' }, 'Confirm: ' + label.toLowerCase());
  const step2 = h('div', { class: 'step confirm', role: 'group', 'aria-label': 'Confirm ' + label.toLowerCase(), hidden: true },
    question,
    h('div', { class: 'actions' }, yes,
      h('button', { type: 'button', class: 'quiet', 'data-step': 'back', onclick: () => step(1) }, 'Back')));
  const form = h('form', { class: 'action-form', hidden: true, novalidate: true }, step1, step2);
  const values = () => Object.fromEntries(inputs.map(({ f, el }) => [f.name, f.type === 'checkbox' ? el.checked : el.value.trim()]));

  function step(n) {
    step1.hidden = n !== 1;
    step2.hidden = n !== 2;
    (n === 1 ? (inputs.find((i) => i.el.getAttribute('aria-invalid') === 'true') || inputs[0]).el : yes).focus();
  }
  function close() {
    form.reset();
    form.hidden = true;
    open.hidden = false;
    open.focus();
  }

  open.addEventListener('click', () => {
    status.replaceChildren();
    for (const i of inputs) fieldError(i, '');
    form.hidden = false;
    open.hidden = true;
    step(1);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    status.replaceChildren(); // an earlier refusal is not about this try
    const v = values();
    for (const i of inputs) fieldError(i, i.f.required && !v[i.f.name] ? i.f.required : '');
    if (inputs.some((i) => i.error.textContent)) return step(1);
    question.textContent = confirm(v);
    step(2);
  });
  yes.addEventListener('click', () => run(yes, status, label + '…', async () => {
    let answer;
    try {
      answer = await send(values());
    } catch (err) {
      // The node's JSON error says what it refused, beside the field it
      // names if the form has it; the form stays open to fix it.
      const i = err instanceof ApiError && inputs.find((x) => x.f.name === err.field);
      if (i) fieldError(i, err.message);
      step(1);
      throw new Error(refusal(err, label));
    }
    close();
    return done(answer);
  }));

  return h('div', { class: 'admin-action', 'data-action': name }, open, form, status);
}

const reasonField = {
  name: 'reason', label: 'Reason', type: 'textarea',
  hint: 'Recorded with your key id in the source’s events.',
  required: 'Say why: the reason is kept in the source’s history.',
};

function fieldError({ el, error }, message) {
  error.textContent = message;
  el.setAttribute('aria-invalid', String(Boolean(message)));
}

function input(f) {
  const attrs = { name: f.name, spellcheck: 'false' };
  if (f.type === 'checkbox') return h('input', { ...attrs, type: 'checkbox' });
  if (f.type === 'textarea') return h('textarea', { ...attrs, rows: f.name === 'reason' ? 2 : 3, maxlength: f.name === 'reason' ? 500 : undefined });
  return h('input', attrs);
}

function refusal(err, label) {
  if (!(err instanceof ApiError) || err.missing || !err.status) return explain(err, label);
  return `Refused (${err.status}): ${err.message}` + (err.field ? ` [field: ${err.field}]` : '');
}

// said is the message of an answer of an action that returns a message, or fallback.
export function said(answer, fallback) {
  return answer && typeof answer.message === 'string' && answer.message ? answer.message : fallback;
}
