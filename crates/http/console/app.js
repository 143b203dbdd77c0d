// The admin console: a channel's phone numbers, "Connect voice line" (country, type,
// pattern, search, price, Buy) and Release with a confirmation, over the public /v1 API.
//
// Sign-in: the token arrives in the URL fragment (`/console/#token=…`, which browsers never
// send to a server), or is pasted into the sign-in form. It is kept in this tab's
// sessionStorage and sent only as the bearer token of /v1 requests. Every text from the
// service is put into the page as text, never as HTML.

import { Api, ApiError } from './api.js';
import { describe } from './errors.js';
import * as calls from './calls.js';

const TOKEN_KEY = 'numbers-console.token';
/** Released and failed numbers stay in a channel's list this long, then drop out of it. */
const RECENT_MS = 24 * 60 * 60 * 1000;
const TOAST_MS = 8000;

const TYPE_LABELS = { local: 'Local', toll_free: 'Toll-free', mobile: 'Mobile' };
const STATUS_LABELS = {
  pending: 'Pending',
  active: 'Active',
  releasing: 'Releasing',
  released: 'Released',
  failed: 'Failed',
};

const state = {
  api: null,
  countries: [],
  channel: null,
  numbers: [],
  offers: [],
  offerType: 'local',
  prices: new Map(),
  toastTimer: 0,
  /** What the server says of itself (`config.json`): `{ sandbox }`. */
  config: { sandbox: false },
};

const $ = (id) => document.getElementById(id);

/** Builds an element: `h('button', { class: 'primary', onclick }, 'Buy')`. Text stays text. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function countryName(code) {
  return state.countries.find((c) => c.code === code)?.name ?? code;
}

function money(price) {
  return price ? `$${price}` : 'price unknown';
}

function when(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function showError(id, error) {
  const el = $(id);
  if (!error) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  el.textContent = error instanceof ApiError
    ? describe(error.body, { status: error.status, requestId: error.requestId })
    : String(error.message ?? error);
  el.hidden = false;
}

function toast(text) {
  const el = $('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(state.toastTimer);
  state.toastTimer = setTimeout(() => {
    el.hidden = true;
  }, TOAST_MS);
}

function hideToast() {
  clearTimeout(state.toastTimer);
  $('toast').hidden = true;
}

function show(viewId) {
  $('loading').hidden = true;
  for (const view of document.querySelectorAll('main > section')) {
    view.hidden = view.id !== viewId;
  }
}

/** An expired or wrong token sends the person back to the sign-in form, saying why. */
function handleAuth(error) {
  if (error instanceof ApiError && error.status === 401) {
    signOut();
    showError('sign-in-error', error);
    return true;
  }
  return false;
}

// ---- sign-in ------------------------------------------------------------------------------

function takeTokenFromFragment() {
  const fragment = location.hash.slice(1);
  if (!fragment.startsWith('token=')) return;
  const token = new URLSearchParams(fragment).get('token');
  // Out of the address bar and the history at once, so it is not bookmarked or shared.
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
}

function signIn(token) {
  state.api = new Api(token);
  $('sign-out').hidden = false;
  calls.start(state.api, { toast, refresh: refreshNumbers, showError, sandbox: state.config.sandbox });
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.api = null;
  $('sign-out').hidden = true;
  show('view-sign-in');
}

async function onSignIn(event) {
  event.preventDefault();
  const token = $('token-input').value.trim();
  if (!token) {
    showError('sign-in-error', new Error('Paste a token first.'));
    return;
  }
  const api = new Api(token);
  try {
    await api.channels();
  } catch (error) {
    showError('sign-in-error', error);
    return;
  }
  showError('sign-in-error', null);
  $('token-input').value = '';
  sessionStorage.setItem(TOKEN_KEY, token);
  signIn(token);
  await route();
}

// ---- routing ------------------------------------------------------------------------------

async function route() {
  if (!state.api) {
    show('view-sign-in');
    $('token-input').focus();
    return;
  }
  const match = location.hash.match(/^#\/channels\/([0-9a-fA-F-]{36})$/);
  if (match) await showChannel(match[1]);
  else await showChannels();
}

// ---- channels -----------------------------------------------------------------------------

async function showChannels() {
  let channels;
  try {
    channels = await state.api.channels();
    showError('channels-error', null);
  } catch (error) {
    if (handleAuth(error)) return;
    showError('channels-error', error);
    channels = [];
  }
  const list = $('channel-list');
  list.replaceChildren(
    ...channels.map((c) =>
      h('li', { class: 'card' },
        h('a', { href: `#/channels/${c.id}`, class: 'card-title' }, c.name),
        h('span', { class: `badge kind-${c.kind === 'voice' ? 'voice' : 'other'}` }, c.kind),
        h('p', { class: 'muted small' },
          c.agent_stream_url ? `Calls go to ${c.agent_stream_url}` : 'No agent stream URL'),
      ),
    ),
  );
  $('channels-empty').hidden = channels.length > 0;
  show('view-channels');
}

async function onCreateChannel(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const body = { name: $('channel-name').value.trim(), kind: $('channel-kind').value };
  const stream = $('channel-stream').value.trim();
  if (stream) body.agent_stream_url = stream;
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const channel = await state.api.createChannel(body);
    showError('channel-form-error', null);
    form.reset();
    toast(`Created channel “${channel.name}”`);
    await showChannels();
  } catch (error) {
    if (!handleAuth(error)) showError('channel-form-error', error);
  } finally {
    button.disabled = false;
  }
}

// ---- a channel and its numbers ------------------------------------------------------------

async function showChannel(id) {
  let channels;
  try {
    [channels, state.numbers] = await Promise.all([state.api.channels(), state.api.numbers()]);
    showError('numbers-error', null);
  } catch (error) {
    if (handleAuth(error)) return;
    show('view-channel');
    showError('numbers-error', error);
    return;
  }
  const channel = channels.find((c) => c.id === id);
  if (!channel) {
    show('view-missing');
    return;
  }
  state.channel = channel;
  $('channel-title').textContent = channel.name;
  $('channel-details').replaceChildren(
    h('dt', {}, 'Kind'), h('dd', {}, channel.kind),
    h('dt', {}, 'Agent stream URL'), h('dd', {}, channel.agent_stream_url ?? 'none'),
    h('dt', {}, 'Channel id'), h('dd', { class: 'mono' }, channel.id),
  );
  $('connect-open').hidden = channel.kind !== 'voice';
  renderNumbers();
  show('view-channel');
}

async function refreshNumbers() {
  try {
    state.numbers = await state.api.numbers();
    showError('numbers-error', null);
  } catch (error) {
    if (!handleAuth(error)) showError('numbers-error', error);
  }
  renderNumbers();
}

/** Live numbers always; released and failed ones for a day, so an outcome stays visible. */
function shown(number) {
  if (number.status !== 'released' && number.status !== 'failed') return true;
  const at = Date.parse(number.released_at ?? number.created_at);
  return Date.now() - at < RECENT_MS;
}

function renderNumbers() {
  const channel = state.channel;
  const live = (n) => n.status !== 'released' && n.status !== 'failed';
  const mine = state.numbers
    .filter((n) => n.channel_id === channel.id && shown(n))
    .sort((a, b) => Number(live(b)) - Number(live(a)) || a.created_at.localeCompare(b.created_at));
  $('number-list').replaceChildren(...mine.map(numberRow));
  $('numbers-empty').hidden = mine.length > 0;

  const loose = channel.kind === 'voice'
    ? state.numbers.filter((n) => n.channel_id === null && n.status === 'active')
    : [];
  $('unattached-list').replaceChildren(...loose.map(looseRow));
  $('unattached').hidden = loose.length === 0;
  for (const number of mine) calls.decorate(number);
}

function numberFacts(n) {
  const facts = [countryName(n.iso_country), TYPE_LABELS[n.number_type] ?? n.number_type];
  if (n.monthly_price_usd) facts.push(`${money(n.monthly_price_usd)}/month`);
  if (n.status === 'released' && n.released_at) facts.push(`released ${when(n.released_at)}`);
  else if (n.purchased_at) facts.push(`bought ${when(n.purchased_at)}`);
  return facts.join(' · ');
}

function numberRow(n) {
  const actions = [];
  if (n.status === 'active' || n.status === 'releasing') {
    actions.push(h('button', { type: 'button', class: 'quiet', onclick: () => detach(n) }, 'Detach'));
    actions.push(h('button', { type: 'button', class: 'danger', onclick: () => askRelease(n) },
      n.status === 'releasing' ? 'Retry release' : 'Release'));
  }
  const note = {
    pending: 'Twilio has not confirmed this purchase yet; it is settled automatically.',
    releasing: 'Twilio has not confirmed the release yet; it is retried automatically.',
    failed: n.failure_code
      ? `Purchase failed: ${describe({ code: 'twilio_error', twilio_code: n.failure_code })}`
      : 'Purchase failed.',
  }[n.status];
  return h('li', { class: `row status-${n.status}`, 'data-number-id': n.id, 'data-status': n.status },
    h('div', { class: 'row-info' },
      h('div', { class: 'row-main' },
        h('span', { class: 'number' }, n.phone_number),
        h('span', { class: `badge status-${n.status}` }, STATUS_LABELS[n.status] ?? n.status),
      ),
      h('p', { class: 'muted small' }, numberFacts(n)),
      note && h('p', { class: 'small note' }, note),
      h('div', { class: 'call', 'data-call-for': n.id }),
    ),
    actions.length > 0 && h('div', { class: 'actions' }, actions),
  );
}

function looseRow(n) {
  return h('li', { class: 'row', 'data-number-id': n.id },
    h('div', { class: 'row-info' },
      h('span', { class: 'number' }, n.phone_number),
      h('p', { class: 'muted small' }, numberFacts(n)),
    ),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'quiet', onclick: () => attachHere(n) },
        'Attach to this channel')),
  );
}

async function detach(n) {
  try {
    await state.api.attach(n.id, null);
    toast(`Detached ${n.phone_number} from “${state.channel.name}”`);
  } catch (error) {
    if (handleAuth(error)) return;
    showError('numbers-error', error);
  }
  await refreshNumbers();
}

async function attachHere(n) {
  try {
    await state.api.attach(n.id, state.channel.id);
    toast(`Attached ${n.phone_number} to “${state.channel.name}”`);
  } catch (error) {
    if (handleAuth(error)) return;
    showError('numbers-error', error);
  }
  await refreshNumbers();
}

// ---- release ------------------------------------------------------------------------------

function askRelease(n) {
  hideToast();
  const dialog = $('release-dialog');
  $('release-title').textContent = `Release ${n.phone_number}?`;
  $('release-text').textContent =
    'Twilio takes the number back: calls to it stop reaching this channel, the monthly '
    + 'charge ends, and someone else may buy it. This cannot be undone.';
  dialog.returnValue = '';
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'release') return;
    try {
      await state.api.release(n.id);
      toast(`Released ${n.phone_number}`);
    } catch (error) {
      if (handleAuth(error)) return;
      showError('numbers-error', error);
    }
    await refreshNumbers();
  };
  dialog.showModal();
}

// ---- connect voice line -------------------------------------------------------------------

function openConnect() {
  const select = $('search-country');
  if (select.options.length === 0) {
    select.replaceChildren(...state.countries.map((c) => h('option', { value: c.code }, c.name)));
  }
  hideToast();
  state.offers = [];
  $('result-list').replaceChildren();
  $('search-status').textContent = '';
  showError('search-error', null);
  $('connect-dialog').showModal();
  select.focus();
  showPrice();
}

/** The monthly price of the chosen country and type, from the pricing endpoint. */
async function showPrice() {
  const country = $('search-country').value;
  const type = $('search-type').value;
  const line = $('search-price');
  line.textContent = '';
  let pricing = state.prices.get(country);
  if (!pricing) {
    try {
      pricing = await state.api.pricing(country);
      state.prices.set(country, pricing);
    } catch {
      return; // The search shows each number's price anyway.
    }
  }
  if ($('search-country').value !== country || $('search-type').value !== type) return;
  const price = pricing.prices.find((p) => p.number_type === type);
  line.textContent = price
    ? `${TYPE_LABELS[type]} numbers in ${countryName(country)}: ${money(price.current_price)} a month`
    : `Twilio lists no ${TYPE_LABELS[type].toLowerCase()} numbers in ${countryName(country)}`;
}

async function onSearch(event) {
  event.preventDefault();
  const query = {
    country: $('search-country').value,
    type: $('search-type').value,
    contains: $('search-contains').value.trim(),
  };
  showError('search-error', null);
  $('search-status').textContent = 'Searching…';
  $('result-list').replaceChildren();
  try {
    const found = await state.api.available(query);
    state.offers = found.available_phone_numbers;
    state.offerType = query.type;
  } catch (error) {
    $('search-status').textContent = '';
    if (handleAuth(error)) {
      $('connect-dialog').close();
      return;
    }
    showError('search-error', error);
    return;
  }
  const count = state.offers.length;
  $('search-status').textContent = count === 0
    ? 'No numbers match. Try without a pattern, or another type.'
    : `${count} number${count === 1 ? '' : 's'} found`;
  renderOffers();
}

/** Why an offer cannot be bought as a voice line, or null when it can. */
function blocker(offer) {
  if (offer.gone) return 'No longer available.';
  if (!offer.capabilities.voice) return 'Cannot take calls, so it cannot be a voice line.';
  if (offer.purchasable) return null;
  const country = countryName(offer.iso_country);
  switch (offer.address_requirements) {
    case 'local':
      return `Needs an address in ${country} that the platform has not registered.`;
    case 'foreign':
      return `Needs an address outside ${country} that the platform has not registered.`;
    case 'any':
      return 'Needs an address that the platform has not registered.';
    default:
      return `Needs a regulatory bundle for ${country} ${TYPE_LABELS[state.offerType].toLowerCase()} numbers that the platform has not registered.`;
  }
}

function capabilityText(caps) {
  const names = [['voice', 'Voice'], ['sms', 'SMS'], ['mms', 'MMS'], ['fax', 'Fax']];
  const has = names.filter(([key]) => caps[key]).map(([, label]) => label);
  return has.length > 0 ? has.join(' · ') : 'No capabilities';
}

function offerRow(offer, index) {
  const reason = blocker(offer);
  const reasonId = `offer-reason-${index}`;
  const place = [offer.locality, offer.region].filter(Boolean).join(', ');
  return h('li', { class: 'row offer', 'data-phone-number': offer.phone_number },
    h('div', { class: 'row-info' },
      h('span', { class: 'number' }, offer.phone_number),
      h('p', { class: 'muted small' },
        [place || countryName(offer.iso_country), capabilityText(offer.capabilities)].join(' · ')),
      reason && h('p', { class: 'small reason', id: reasonId }, reason),
      offer.error && h('p', { class: 'error', role: 'alert' }, offer.error),
    ),
    h('div', { class: 'actions' },
      h('button', {
        type: 'button',
        class: 'primary buy',
        disabled: reason !== null,
        'aria-describedby': reason ? reasonId : null,
        onclick: () => buy(offer),
      }, offer.monthly_price_usd ? `Buy — ${money(offer.monthly_price_usd)}/mo` : 'Buy'),
    ),
  );
}

function renderOffers() {
  $('result-list').replaceChildren(...state.offers.map(offerRow));
}

/** Buys an offer; a refusal is told in words on the offer itself, where the person looks. */
async function buy(offer) {
  for (const button of $('result-list').querySelectorAll('button.buy')) button.disabled = true;
  for (const other of state.offers) delete other.error;
  showError('search-error', null);
  $('search-status').textContent = `Buying ${offer.phone_number}…`;
  try {
    const { status, data } = await state.api.purchase(offer, state.offerType, state.channel.id);
    $('connect-dialog').close();
    toast(status === 202
      ? `Purchase of ${data.phone_number} is pending: Twilio has not confirmed it yet.`
      : `Purchased ${data.phone_number}`);
  } catch (error) {
    $('search-status').textContent = '';
    if (handleAuth(error)) {
      $('connect-dialog').close();
      return;
    }
    if (error instanceof ApiError) {
      if (error.code === 'price_changed' && error.body.current_price) {
        offer.monthly_price_usd = error.body.current_price;
      } else if (error.code === 'phone_number_unavailable') {
        offer.gone = true;
      }
      offer.error = describe(error.body, { status: error.status, requestId: error.requestId });
    } else {
      offer.error = String(error.message ?? error);
    }
    renderOffers();
    const row = [...$('result-list').children].find((li) => li.dataset.phoneNumber === offer.phone_number);
    row?.scrollIntoView({ block: 'nearest' });
    const again = row?.querySelector('button.buy:not(:disabled)');
    if (again) again.focus();
  }
  await refreshNumbers();
}

// ---- start --------------------------------------------------------------------------------

function wire() {
  $('sign-in-form').addEventListener('submit', onSignIn);
  $('sign-out').addEventListener('click', () => {
    signOut();
    history.replaceState(null, '', `${location.pathname}#/`);
  });
  $('channel-form').addEventListener('submit', onCreateChannel);
  $('connect-open').addEventListener('click', openConnect);
  $('search-form').addEventListener('submit', onSearch);
  $('search-country').addEventListener('change', showPrice);
  $('search-type').addEventListener('change', showPrice);
  for (const button of document.querySelectorAll('[data-close]')) {
    button.addEventListener('click', () => button.closest('dialog').close());
  }
  window.addEventListener('hashchange', () => {
    takeTokenFromFragment();
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token && !state.api) signIn(token);
    route();
  });
}

/** One of the console's own JSON files; `null` when it cannot be read. */
async function readJson(name) {
  try {
    const response = await fetch(name, { cache: 'no-store' });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

async function start() {
  wire();
  takeTokenFromFragment();
  const [countries, config] = await Promise.all([readJson('countries.json'), readJson('config.json')]);
  state.countries = Array.isArray(countries) ? countries : [];
  state.config = { sandbox: config?.sandbox === true };
  $('sandbox-banner').hidden = !state.config.sandbox;
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) signIn(token);
  await route();
}

start();
