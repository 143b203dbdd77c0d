// A number's calls: its last call under its row, and in sandbox mode a button that places a
// simulated inbound call. Kept apart from the rest of the console because it stands on
// issue 12's routes: GET /v1/phone-numbers/{id}/calls (a number's calls, newest first) and
// the sandbox-only POST /sandbox/calls.

import { ApiError } from './api.js';
import { describe } from './errors.js';

const feature = { api: null, hooks: null, sandbox: false };

/**
 * Prepares the feature for a signed-in API.
 * @param {import('./api.js').Api} api
 * @param {{toast: (text: string) => void, refresh: () => Promise<void>,
 *          showError: (id: string, error: unknown) => void, sandbox: boolean}} hooks
 */
export function start(api, hooks) {
  feature.api = api;
  feature.hooks = hooks;
  feature.sandbox = hooks.sandbox;
}

function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') el.className = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value);
  }
  el.append(...children);
  return el;
}

function callWords(call) {
  const at = new Date(call.first_seen_at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const parts = [`Last call ${at}`];
  if (call.from) parts.push(`from ${call.from}`);
  parts.push(call.status.replaceAll('-', ' '));
  if (call.duration_seconds !== null && call.duration_seconds !== undefined) {
    parts.push(`${call.duration_seconds} s`);
  }
  return parts.join(' · ');
}

/** Shows the number's last call, if it had one, in its row's call line. */
async function showLastCall(number, slot) {
  let page;
  try {
    const path = `/v1/phone-numbers/${encodeURIComponent(number.id)}/calls?limit=1`;
    page = (await feature.api.request('GET', path)).data;
  } catch {
    return; // The last call is extra information: the row stands without it.
  }
  const call = page.calls[0];
  const line = slot.querySelector('.last-call');
  line.textContent = call ? callWords(call) : 'No calls yet';
  if (call) line.dataset.callSid = call.call_sid;
}

async function simulate(number, button, slot) {
  button.disabled = true;
  try {
    const { data } = await feature.api.request('POST', '/sandbox/calls', {
      body: { phone_number: number.phone_number },
    });
    const connected = data.voice.status === 200 && data.voice.body.includes('<Connect');
    feature.hooks.toast(connected
      ? `Simulated call to ${number.phone_number}: answered and connected to the channel's agent`
      : `Simulated call to ${number.phone_number}: the service answered ${data.voice.status}`);
  } catch (error) {
    feature.hooks.showError('numbers-error', error instanceof ApiError ? error : new Error(describe({})));
  } finally {
    button.disabled = false;
  }
  await showLastCall(number, slot);
}

/** Fills the call line of a number's row (`[data-call-for=id]`). */
export function decorate(number) {
  const slot = document.querySelector(`[data-call-for="${number.id}"]`);
  if (!slot || !feature.api || number.status === 'failed' || number.status === 'pending') return;
  const line = h('p', { class: 'last-call muted' });
  slot.replaceChildren(line);
  if (feature.sandbox && number.status === 'active') {
    const button = h('button', { type: 'button', class: 'quiet simulate' }, 'Simulate inbound call');
    button.addEventListener('click', () => simulate(number, button, slot));
    slot.append(button);
  }
  showLastCall(number, slot);
}
