// The relay operator's page: reads and steers the admin API of this box (/api/relay). The admin
// token is kept in this tab's sessionStorage only, and sent as a header, never in a URL.

const TOKEN_KEY = 'tender-relay-admin-token';
const REFRESH_MS = 5000;
const PAGE = 20;
const MB = 1e6;
const SVG = 'http://www.w3.org/2000/svg';
const FIELDS = [
  'dailyBudgetBytes',
  'monthlyBudgetBytes',
  'pricePerGB',
  'currency',
  'capKbps',
  'metered',
  'meteredMaxBytes',
  'allowCriticalOverBudget',
  'timeZone',
];
const IN_MB = new Set(['dailyBudgetBytes', 'monthlyBudgetBytes', 'meteredMaxBytes']);
const OPTIONAL = new Set(['dailyBudgetBytes', 'monthlyBudgetBytes', 'capKbps']);
const STATES = {
  starting: 'Starting',
  forwarding: 'Forwarding to shore',
  idle: 'Everything is ashore',
  waiting: 'Waiting',
  stopped: 'Stopped: nothing is forwarded',
};
const STATUS_WORDS = {
  waiting: 'Waiting',
  uploading: 'Sending',
  paused: 'Paused',
  uploaded: 'Ashore',
  failed: 'Failed',
};

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
let offset = 0;
let timer = 0;
let settingsShown = false;

function formatBytes(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function formatRate(bytesPerSec) {
  const bits = bytesPerSec * 8;
  return bits >= 1e6 ? `${(bits / 1e6).toFixed(1)} Mbit/s` : `${Math.round(bits / 1e3)} kbit/s`;
}

function money(amount, currency) {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
}

/** Calls the admin API; a refused token signs out. */
async function api(path, init = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const res = await fetch(path, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  });
  if (res.status === 401 || res.status === 403) {
    signOut('The token was refused. Check it and sign in again.');
    throw new Error('signed out');
  }
  const body = await res.json().catch(() => ({}));
  return { status: res.status, body };
}

function signOut(message = '') {
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(timer);
  settingsShown = false;
  $('relay').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
}

function showState(s) {
  const state = $('state');
  state.dataset.state = s.state;
  state.textContent = STATES[s.state] ?? s.state;
  $('reason').textContent = s.reason ?? '';
  $('shore').textContent = s.shore;
  const o = s.outbox;
  $('counts').textContent =
    `On board: ${o.waiting} waiting, ${o.uploading} sending, ${o.failed} failed (${formatBytes(o.bytesLeft)} to send). Ashore: ${o.ashore}.`;
}

function showLink(s) {
  const link = s.link;
  $('quality').textContent = `${Math.round(link.quality * 100)}% (${link.state})`;
  $('goodput').textContent = link.goodputBps === null ? 'not measured yet' : formatRate(link.goodputBps);
  $('rtt').textContent = link.rttMs === null ? 'not measured yet' : `${Math.round(link.rttMs)} ms`;
  const chart = $('bars');
  chart.replaceChildren();
  const bars = s.chart.bars;
  const top = Math.max(1, ...bars.map((b) => b.rateBps ?? 0));
  const width = 360 / bars.length;
  bars.forEach((bar, i) => {
    if (bar.rateBps !== null) {
      const h = Math.max(2, (bar.rateBps / top) * 76);
      chart.append(rect(i * width + 1, 80 - h, width - 2, h, 'up'));
    }
    if (bar.downShare) chart.append(rect(i * width + 1, 0, width - 2, bar.downShare * 20, 'down'));
  });
  $('chart-summary').textContent = s.chart.summary;
}

function rect(x, y, w, h, kind) {
  const r = document.createElementNS(SVG, 'rect');
  for (const [k, v] of Object.entries({ x, y, width: w, height: h, class: kind }))
    r.setAttribute(k, String(v));
  return r;
}

function against(spent, budget, cost, currency, period) {
  const of =
    budget === null
      ? `no ${period} budget`
      : `of ${formatBytes(budget)} (${Math.round((spent / Math.max(budget, 1)) * 100)}%)`;
  return `${formatBytes(spent)} ${of}, ${money(cost, currency)}`;
}

function showSpend(s) {
  const { spend, cost, settings } = s;
  $('today').textContent =
    `Today: ${against(spend.todayBytes, settings.dailyBudgetBytes, cost.today, cost.currency, 'daily')}`;
  $('month').textContent =
    `This month: ${against(spend.monthBytes, settings.monthlyBudgetBytes, cost.month, cost.currency, 'monthly')}`;
  $('days').replaceChildren(
    ...s.spendDays
      .slice()
      .reverse()
      .map((d) => {
        const tr = document.createElement('tr');
        for (const text of [d.day, formatBytes(d.bytes), money(d.cost, cost.currency)]) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
  );
}

function button(label, name, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.setAttribute('aria-label', `${label} ${name}`);
  b.addEventListener('click', onClick);
  return b;
}

function outboxRow(item) {
  const li = document.createElement('li');
  const name = document.createElement('div');
  name.className = 'name';
  name.textContent = item.name;
  const detail = document.createElement('p');
  detail.className = 'detail';
  const tags = Object.entries(item.tags)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  detail.textContent = [
    `${STATUS_WORDS[item.status] ?? item.status}`,
    `${formatBytes(item.bytesAshore)} of ${formatBytes(item.size)} ashore`,
    `priority ${item.priority}`,
    tags,
  ]
    .filter(Boolean)
    .join(' · ');
  li.append(name, detail);
  if (item.reason) {
    const why = document.createElement('p');
    why.className = item.status === 'failed' ? 'error' : 'detail';
    why.textContent = item.reason;
    li.append(why);
  }
  if (item.status === 'uploaded') return li;
  const controls = document.createElement('div');
  controls.className = 'controls';
  const act = (action, body) => () => void control(item, action, body);
  if (item.status === 'paused') controls.append(button('Resume', item.name, act('resume')));
  else if (item.status === 'failed') controls.append(button('Retry', item.name, act('retry')));
  else controls.append(button('Pause', item.name, act('pause')));
  const select = document.createElement('select');
  select.setAttribute('aria-label', `Priority of ${item.name}`);
  for (let p = 10; p >= 1; p -= 1)
    select.append(new Option(`Priority ${p}`, String(p), false, p === item.priority));
  select.addEventListener('change', () => void control(item, 'priority', { priority: Number(select.value) }));
  controls.append(select);
  li.append(controls);
  return li;
}

async function control(item, action, body) {
  const { status, body: answer } = await api(`/api/relay/outbox/${encodeURIComponent(item.id)}/${action}`, {
    method: 'POST',
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  $('action-message').textContent = status === 200 ? `${item.name}: done.` : `${item.name}: ${answer.error}`;
  await refresh();
}

function showOutbox(s) {
  const { total, items } = s.items;
  $('outbox').replaceChildren(...items.map(outboxRow));
  $('outbox-empty').hidden = total > 0;
  $('page').textContent = total ? `${offset + 1}–${offset + items.length} of ${total}` : '';
  /** @type {HTMLButtonElement} */ ($('newer')).disabled = offset === 0;
  /** @type {HTMLButtonElement} */ ($('older')).disabled = offset + PAGE >= total;
}

function fillSettings(settings) {
  for (const field of FIELDS) {
    const input = /** @type {HTMLInputElement} */ ($(field));
    const value = settings[field];
    if (input.type === 'checkbox') input.checked = value;
    else if (value === null) input.value = '';
    else input.value = String(IN_MB.has(field) ? value / MB : value);
  }
}

function readSettings() {
  const out = {};
  for (const field of FIELDS) {
    const input = /** @type {HTMLInputElement} */ ($(field));
    if (input.type === 'checkbox') out[field] = input.checked;
    else if (field === 'currency' || field === 'timeZone') out[field] = input.value;
    else if (input.value.trim() === '' && OPTIONAL.has(field)) out[field] = null;
    else {
      const n = input.value.trim() === '' ? Number.NaN : Number(input.value.replace(',', '.'));
      // An entry that is not a number goes as typed, so the server names what is wrong with it.
      out[field] = Number.isNaN(n) ? input.value : IN_MB.has(field) ? n * MB : n;
    }
  }
  return out;
}

async function saveSettings(event) {
  event.preventDefault();
  for (const field of FIELDS) {
    $(`${field}-error`).textContent = '';
    $(field).removeAttribute('aria-invalid');
  }
  const { status, body } = await api('/api/relay/settings', {
    method: 'PUT',
    body: JSON.stringify(readSettings()),
  });
  if (status === 200) {
    fillSettings(body.settings);
    $('settings-message').textContent = 'Saved: in force now.';
    await refresh();
    return;
  }
  const errors = body.errors ?? {};
  for (const [field, message] of Object.entries(errors)) {
    $(`${field}-error`).textContent = message;
    $(field).setAttribute('aria-invalid', 'true');
  }
  $('settings-message').textContent = body.error
    ? `Not saved: ${Object.values(errors).join(' ') || body.error}`
    : 'Not saved.';
  const first = Object.keys(errors)[0];
  if (first) $(first).focus();
}

async function refresh() {
  clearTimeout(timer);
  try {
    const { status, body } = await api(`/api/relay?limit=${PAGE}&offset=${offset}`);
    if (status !== 200) {
      $('state').textContent = body.error ?? `The relay answered ${status}.`;
    } else {
      showState(body);
      showLink(body);
      showSpend(body);
      showOutbox(body);
      if (!settingsShown) fillSettings(body.settings);
      settingsShown = true;
    }
    $('relay').hidden = false;
    $('sign-in').hidden = true;
    $('sign-out').hidden = false;
  } catch (error) {
    if (!sessionStorage.getItem(TOKEN_KEY)) return;
    $('reason').textContent = `This box does not answer: ${error.message}`;
  }
  timer = window.setTimeout(() => void refresh(), REFRESH_MS);
}

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('token'));
  sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  input.value = '';
  $('sign-in-error').textContent = '';
  void refresh();
});
$('sign-out').addEventListener('click', () => signOut());
$('settings').addEventListener('submit', (event) => void saveSettings(event));
$('newer').addEventListener('click', () => {
  offset = Math.max(0, offset - PAGE);
  void refresh();
});
$('older').addEventListener('click', () => {
  offset += PAGE;
  void refresh();
});

if (sessionStorage.getItem(TOKEN_KEY)) void refresh();
else signOut();
