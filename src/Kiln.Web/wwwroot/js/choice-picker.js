// New job form: for a list option whose values this installation offers (x-choices in the options schema: the dubbing
// target languages), one checkbox per value, listed by the server for the value of the option it depends on (the source
// language). The ticked values are written back into the typed field, which the form posts and the other pickers read;
// without JavaScript the typed field stays, and the server names what is offered when a value is not.
import { cachedGet, ApiError } from './api.js';

export function setupChoicePicker(input) {
  const picker = document.querySelector(`[data-choices-for="${input.id}"]`);
  if (!picker) return;
  const list = picker.querySelector('[data-choice-list]');
  const status = picker.querySelector('[data-choice-status]');
  const depends = input.dataset.choicesDepends ? document.getElementById(input.dataset.choicesDepends) : null;
  const get = cachedGet();

  const typed = () => input.value.split(',').map((v) => v.trim()).filter(Boolean);
  let chosen = new Set(typed());

  // Values keep the order they were chosen in (the voice lists follow it). The checkboxes stand in for the text box; its hint and error stay where they are, under the group.
  picker.hidden = false;
  input.hidden = true;
  input.labels?.forEach((l) => { l.hidden = true; });

  const write = (values) => {
    const value = values.join(', ');
    if (value === input.value) return;
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  };

  const load = (key) => {
    const param = input.dataset.choicesParam;
    return get(param && key ? `${input.dataset.choicesUrl}?${encodeURIComponent(param)}=${encodeURIComponent(key)}` : input.dataset.choicesUrl);
  };

  let seq = 0;
  const render = async () => {
    const mine = ++seq;
    const key = depends?.value.trim() ?? '';
    status.textContent = 'Loading what is offered…';
    let answer;
    try {
      answer = await load(key);
    } catch (err) {
      if (mine !== seq) return;
      // Unreachable or a source the server rejects: fall back to typing, and say why.
      list.replaceChildren();
      status.textContent = err instanceof ApiError ? `${err.message} Type the codes instead.` : 'Could not load the languages offered here; type the codes instead.';
      input.hidden = false;
      input.labels?.forEach((l) => { l.hidden = false; });
      return;
    }
    if (mine !== seq) return;
    input.hidden = true;
    input.labels?.forEach((l) => { l.hidden = true; });
    const offered = new Set(answer.choices.map((c) => c.value));
    const dropped = [...chosen].filter((v) => !offered.has(v));
    chosen = new Set([...chosen].filter((v) => offered.has(v)));
    const focused = document.activeElement?.dataset?.choice;
    list.replaceChildren(...answer.choices.map((c) => {
      const id = `${input.id}-${c.value}`;
      const row = document.createElement('div');
      row.className = 'field-inline';
      const box = Object.assign(document.createElement('input'), { type: 'checkbox', id, checked: chosen.has(c.value) });
      box.dataset.choice = c.value;
      box.addEventListener('change', () => {
        if (box.checked) chosen.add(c.value); else chosen.delete(c.value);
        write([...chosen]);
        status.textContent = chosen.size === 0 ? 'Choose at least one.' : '';
      });
      row.append(box, Object.assign(document.createElement('label'), { htmlFor: id, textContent: c.label }));
      return row;
    }));
    if (focused) list.querySelector(`[data-choice="${focused}"]`)?.focus();
    if (answer.choices.length === 0) status.textContent = `Nothing is offered from ${answer.sourceName ?? key} here.`;
    else if (dropped.length > 0) status.textContent = `Not offered from ${answer.sourceName ?? key}: ${dropped.join(', ')} — left out.`;
    else status.textContent = chosen.size === 0 ? 'Choose at least one.' : '';
    write([...chosen]);
  };

  let timer;
  depends?.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(render, 300); });
  depends?.addEventListener('change', () => { clearTimeout(timer); render(); });
  render();
}
