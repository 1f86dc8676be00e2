// New job form: for an option of language=voice pairs (x-voicePicker in the options schema), one list of voices per
// language chosen in the languages option, filled from the server (what the installed engines speak; premium voices
// disabled with their plan named when the workspace's plan lacks them). The choices are written back into the typed
// option, which the form posts; without JavaScript that field stays as it is and the default voice applies.
import { cachedGet, ApiError } from './api.js';

const code = /^[a-z]{2}$/;

export function setupVoicePicker(input, onChange) {
  const picker = document.querySelector(`[data-voice-picker-for="${input.id}"]`);
  const languagesField = document.getElementById(input.dataset.voiceLanguages);
  if (!picker || !languagesField) return;
  const list = picker.querySelector('[data-voice-list]');
  const premium = picker.querySelector('[data-voice-premium]');
  const status = picker.querySelector('[data-voice-status]');
  const get = cachedGet();

  // What was typed (or posted back) stays chosen: "es=female, ca=es+f2".
  const chosen = new Map(input.value.split(',').map((p) => p.split('=').map((x) => x.trim())).filter((p) => p.length === 2 && p[0] && p[1]));
  picker.hidden = false;
  input.closest('.field').hidden = true;

  const languages = () => [...new Set(languagesField.value.split(',').map((l) => l.trim().toLowerCase()).filter((l) => code.test(l)))];

  const write = () => {
    const pairs = languages().filter((l) => chosen.get(l)).map((l) => `${l}=${chosen.get(l)}`);
    const value = pairs.join(', ');
    if (value === input.value) return;
    input.value = value;
    onChange();
  };

  const voicesOf = (language) => get(`${input.dataset.voiceUrl}?language=${encodeURIComponent(language)}`);

  const row = (language, answer) => {
    const id = `${input.id}-${language}`;
    const field = document.createElement('div');
    field.className = 'field';
    const label = Object.assign(document.createElement('label'), { htmlFor: id, textContent: `Voice for ${answer.languageName} (${language})` });
    const select = Object.assign(document.createElement('select'), { id });
    select.dataset.voiceFor = language;
    if (answer.upgradeUrl) select.setAttribute('aria-describedby', premium.id);
    // The first choice leaves the language to the form's general voice option (the server's default when that is empty too).
    const wanted = chosen.get(language) ?? '';
    select.append(new Option("As “Voice” above", "", false, wanted === ""));
    for (const v of answer.voices) {
      const text = v.available ? v.label : `${v.label} — ${(v.requiredPlans ?? []).join(' or ') || 'another'} plan`;
      const option = new Option(text, v.id, false, v.available && v.id === wanted);
      option.disabled = !v.available;
      select.append(option);
    }
    select.addEventListener('change', () => { chosen.set(language, select.value); write(); });
    field.append(label, select);
    return field;
  };

  let seq = 0;
  const render = async () => {
    const mine = ++seq;
    const wanted = languages();
    if (wanted.length === 0) {
      list.replaceChildren();
      premium.hidden = true;
      status.textContent = 'Choose the target languages above to pick a voice for each.';
      return;
    }
    status.textContent = 'Loading voices…';
    const rows = [];
    let upgrade = null;
    for (const language of wanted) {
      try {
        const answer = await voicesOf(language);
        rows.push(row(language, answer));
        if (answer.upgradeUrl) upgrade = { url: answer.upgradeUrl, plans: answer.voices.find((v) => !v.available)?.requiredPlans ?? [] };
      } catch (err) {
        const message = err instanceof ApiError ? err.message : 'Could not load the voices.';
        rows.push(Object.assign(document.createElement('p'), { className: 'field-error', textContent: `${language}: ${message}` }));
      }
      if (mine !== seq) return;
    }
    // A select that keeps focus while the languages change would be replaced under the keyboard: keep it if it is still wanted.
    const focused = document.activeElement?.dataset?.voiceFor;
    list.replaceChildren(...rows);
    if (focused) list.querySelector(`[data-voice-for="${focused}"]`)?.focus();
    premium.hidden = !upgrade;
    if (upgrade) {
      const link = Object.assign(document.createElement('a'), { href: upgrade.url, textContent: 'See plans' });
      premium.replaceChildren(`Premium voices come with the ${upgrade.plans.join(' or ') || 'paid'} plan. `, link);
    }
    status.textContent = '';
    write();
  };

  let timer;
  languagesField.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(render, 300); });
  render();
}
