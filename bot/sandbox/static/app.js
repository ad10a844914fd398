// The sandbox page: a small Slack look-alike over the stand-in's live stream.
//
// State arrives as a snapshot, then one event per change (server-sent events); what a person
// does goes to /sandbox/api/* and comes back through the bot and the stream. All text is set
// with textContent or built by mrkdwn.js; nothing from the bot or a person becomes HTML.

import { mrkdwn, plain } from "./mrkdwn.js";
import { renderBlocks } from "./blocks.js";

const $ = (id) => document.getElementById(id);
const STORE_KEY = "firebell.sandbox.user";
const HINTS = [
  "/incident declare sev2 Checkout is failing for EU tenants service:api tenant:acme",
  "/incident",
  "/incident oncall",
  "/incident list",
  "/incident help",
];

const state = {
  team: null,
  bot: { user_id: "", name: "Firebell" },
  users: [],
  usersById: new Map(),
  groups: {},
  channels: new Map(),
  messages: new Map(),
  ephemerals: [],
  views: new Map(),
  homes: {},
  clock: { now_ms: 0, rate: 1, timezone: "UTC", at: 0 },
  me: null,
  current: { kind: "channel", id: null },
  homeTab: "home",
  thread: null,
  unread: new Map(),
  incidentChannel: null,
  broadcastChannel: null,
  shownView: null,
  dismissed: new Set(),
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// -- time ---------------------------------------------------------------------------------

function sandboxNow() {
  const { now_ms, rate, at } = state.clock;
  return new Date(now_ms + (performance.now() - at) * rate);
}

function parts(date, options) {
  const format = new Intl.DateTimeFormat("en-US", { timeZone: state.clock.timezone, ...options });
  return Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
}

function ordinal(n) {
  const s = ["th", "st", "nd", "rd"];
  const v = n % 100;
  return n + (s[(v - 20) % 10] || s[v] || s[0]);
}

function localDay(date) {
  const p = parts(date, { year: "numeric", month: "2-digit", day: "2-digit" });
  return `${p.year}-${p.month}-${p.day}`;
}

function hhmm(date, seconds) {
  const p = parts(date, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  return seconds ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`;
}

// <!date^stamp^format|fallback>, in the sandbox's time zone, "today" by sandbox time.
function formatDate(stamp, format, fallback) {
  if (!Number.isFinite(stamp) || !format) return fallback;
  const date = new Date(stamp * 1000);
  const p = parts(date, { year: "numeric", month: "long", day: "numeric", weekday: "long" });
  const short = parts(date, { month: "short" }).month;
  const day = Number(p.day);
  const long = `${p.weekday}, ${p.month} ${ordinal(day)}, ${p.year}`;
  const plainDate = `${p.month} ${ordinal(day)}, ${p.year}`;
  const shortDate = `${short} ${day}, ${p.year}`;
  const offset = Math.round(
    (Date.parse(localDay(date)) - Date.parse(localDay(sandboxNow()))) / 86400000,
  );
  const pretty = (otherwise) =>
    offset === 0 ? "today" : offset === -1 ? "yesterday" : offset === 1 ? "tomorrow" : otherwise;
  const ago = () => {
    const minutes = Math.round((sandboxNow() - date) / 60000);
    if (Math.abs(minutes) < 1) return "just now";
    if (Math.abs(minutes) < 60) return minutes > 0 ? `${minutes} minutes ago` : `in ${-minutes} minutes`;
    const hours = Math.round(minutes / 60);
    return hours > 0 ? `${hours} hours ago` : `in ${-hours} hours`;
  };
  const tokens = {
    "{date_num}": localDay(date),
    "{date}": plainDate,
    "{date_short}": shortDate,
    "{date_long}": long,
    "{date_pretty}": pretty(plainDate),
    "{date_short_pretty}": pretty(shortDate),
    "{date_long_pretty}": pretty(long),
    "{time}": hhmm(date, false),
    "{time_secs}": hhmm(date, true),
    "{ago}": ago(),
  };
  return format.replace(/\{[a-z_]+\}/g, (t) => (t in tokens ? tokens[t] : t));
}

function tsDate(ts) {
  return new Date(Number(String(ts).split(".")[0]) * 1000);
}

// -- who and where --------------------------------------------------------------------------

function userName(id) {
  if (id === state.bot.user_id) return state.bot.name;
  const user = state.usersById.get(id);
  return user ? user.real_name : null;
}

function channelName(id) {
  const channel = state.channels.get(id);
  if (!channel) return null;
  return channel.is_im ? userName(channel.user) || channel.user : channel.name;
}

// Who a click or a command is from: in a DM, the person the bot talks to there.
function actingUser() {
  const channel = state.current.kind === "channel" ? state.channels.get(state.current.id) : null;
  return channel && channel.is_im ? channel.user : state.me;
}

function ctx(extra) {
  return {
    me: actingUser(),
    userName,
    channelName,
    groupName: (id) => state.groups[id],
    formatDate,
    openChannel: (id) => state.channels.has(id) && openChannel(id),
    ...extra,
  };
}

function initials(name) {
  return (name || "?")
    .split(/\s+/)
    .map((w) => w[0])
    .join("")
    .slice(0, 2)
    .toUpperCase();
}

const COLORS = ["#e8912d", "#2bac76", "#1d9bd1", "#e01e5a", "#8b5fbf", "#3aa3e3", "#d4a72c", "#4a8c8c"];

function avatar(id, isBot) {
  const node = el("div", "avatar");
  if (isBot) {
    node.classList.add("avatar-bot");
    node.textContent = "🔔";
    return node;
  }
  const index = [...(id || "")].reduce((a, c) => a + c.charCodeAt(0), 0) % COLORS.length;
  node.style.background = COLORS[index];
  node.textContent = initials(userName(id) || id);
  return node;
}

// -- talking to the sandbox ------------------------------------------------------------------

async function api(action, body) {
  try {
    const response = await fetch(`/sandbox/api/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) toast(answer.error || `The sandbox answered ${response.status}`);
    return answer;
  } catch (error) {
    toast("The sandbox did not answer. Is `firebell sandbox` still running?");
    return { ok: false, error: String(error) };
  }
}

function toast(text) {
  const node = el("div", "toast", text);
  $("toasts").appendChild(node);
  setTimeout(() => node.remove(), 6000);
}

function confirmDialog(confirm) {
  return new Promise((resolve) => {
    $("confirm-title").textContent = plain(confirm.title) || "Are you sure?";
    $("confirm-text").replaceChildren();
    if (confirm.text) {
      const text = el("div", "b-text");
      text.appendChild(confirm.text.type === "mrkdwn" ? mrkdwn(confirm.text.text, ctx()) : document.createTextNode(plain(confirm.text)));
      $("confirm-text").appendChild(text);
    }
    const ok = $("confirm-ok");
    ok.textContent = plain(confirm.confirm) || "Yes";
    ok.className = `btn ${confirm.style === "danger" ? "btn-danger" : "btn-primary"}`;
    $("confirm-deny").textContent = plain(confirm.deny) || "Cancel";
    $("confirm-overlay").hidden = false;
    const done = (answer) => {
      $("confirm-overlay").hidden = true;
      ok.onclick = null;
      $("confirm-deny").onclick = null;
      resolve(answer);
    };
    ok.onclick = () => done(true);
    $("confirm-deny").onclick = () => done(false);
    ok.focus();
  });
}

// A click on a button or a pick in a select, in a message or in the App Home.
function actor(where) {
  return async (element, blockIndex, selected, node) => {
    if (element.confirm && !(await confirmDialog(element.confirm))) return;
    node.classList.add("busy");
    node.disabled = true;
    const answer = await api("click", {
      user: where.user || actingUser(),
      block_index: blockIndex,
      action_id: element.action_id,
      selected,
      ...where,
    });
    node.classList.remove("busy");
    node.disabled = false;
    if (answer.ok === false && answer.error) toast(`Firebell did not answer: ${answer.error}`);
  };
}

// -- messages ---------------------------------------------------------------------------------

function messageNode(channel, message, options = {}) {
  const ephemeral = message.subtype === "ephemeral";
  const fromBot = Boolean(message.bot_id) || message.user === state.bot.user_id;
  const node = el("div", "msg");
  node.dataset.ts = message.ts;
  if (ephemeral) node.classList.add("ephemeral");
  const sender = message.slackbot ? "Slackbot" : fromBot ? state.bot.name : userName(message.user) || message.user;
  node.appendChild(avatar(message.user, fromBot || message.slackbot));
  const body = el("div", "msg-body");
  const head = el("div", "msg-head");
  head.appendChild(el("span", "msg-name", sender));
  if (fromBot && !message.slackbot) head.appendChild(el("span", "badge", "APP"));
  head.appendChild(el("span", "msg-time", hhmm(tsDate(message.ts), false)));
  if (message.edited) head.appendChild(el("span", "msg-edited", "(edited)"));
  body.appendChild(head);
  const content = el("div", "msg-content");
  const act = actor({ channel, ts: message.ts, ephemeral });
  if (message.blocks && message.blocks.length) {
    content.appendChild(renderBlocks(message.blocks, ctx({ act })));
  } else {
    const text = el("div", "b-text");
    text.appendChild(mrkdwn(message.text, ctx()));
    content.appendChild(text);
  }
  body.appendChild(content);
  if (ephemeral) {
    const note = el("div", "ephemeral-note");
    note.appendChild(el("span", "", "👁 Only visible to you"));
    const dismiss = el("button", "link", "Dismiss");
    dismiss.type = "button";
    dismiss.addEventListener("click", () => {
      state.dismissed.add(message.ts);
      node.remove();
    });
    note.appendChild(dismiss);
    body.appendChild(note);
  }
  if (!options.inThread && message.reply_count) {
    const link = el("button", "thread-link");
    link.type = "button";
    link.appendChild(el("span", "thread-count", `${message.reply_count} ${message.reply_count === 1 ? "reply" : "replies"}`));
    if (message.latest_reply) link.appendChild(el("span", "thread-last", `Last reply ${hhmm(tsDate(message.latest_reply), false)}`));
    link.addEventListener("click", () => openThread(channel, message.ts));
    body.appendChild(link);
  }
  node.appendChild(body);
  return node;
}

function isTopLevel(message) {
  return !message.thread_ts || message.thread_ts === message.ts;
}

// What the main pane lists for a channel: its top-level messages and my ephemerals there.
function channelItems(channel) {
  const me = actingUser();
  const items = (state.messages.get(channel) || []).filter(isTopLevel);
  for (const note of state.ephemerals) {
    if (note.channel === channel && note.user === me && !state.dismissed.has(note.ts)) items.push(note);
  }
  return items.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
}

function threadItems(channel, ts) {
  return (state.messages.get(channel) || []).filter((m) => m.ts === ts || m.thread_ts === ts);
}

function nearBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
}

function placeNode(list, node, stick) {
  const existing = [...list.children].find((c) => c.dataset.ts === node.dataset.ts);
  if (existing) existing.replaceWith(node);
  else {
    const after = [...list.children].find((c) => c.dataset.ts && c.dataset.ts > node.dataset.ts);
    list.insertBefore(node, after || null);
    list.querySelector(".empty")?.remove();
  }
  if (stick) list.scrollTop = list.scrollHeight;
}

function emptyChannel(channel) {
  const info = state.channels.get(channel);
  const node = el("div", "empty");
  node.appendChild(el("div", "empty-title", info && info.is_im ? `This is the start of ${channelName(channel)}'s direct messages with Firebell.` : `This is the very beginning of #${channelName(channel)}.`));
  const line = el("div", "empty-text");
  if (channel === state.incidentChannel) {
    line.textContent = "Firebell posts a live card for every incident here and keeps its thread current. This is the real bot; only Slack is pretend.";
    node.appendChild(line);
    const tips = el("ol", "tips");
    for (const tip of [
      "Declare one: type /incident declare sev2 Checkout is failing below (or just /incident for the form).",
      "Switch who you are at the top right and click Acknowledge, Post update or Resolve on the card.",
      "Click 60× in the clock: an unacknowledged SEV1 escalates within seconds, and the 09:00 handover follows.",
      "Open Apps → Firebell for the App Home: who is on call now and next, and your own shifts.",
    ]) tips.appendChild(el("li", "", tip));
    node.appendChild(tips);
    return node;
  } else if (channel === state.broadcastChannel) {
    line.textContent = "Stakeholder summaries go here: plain-language updates for support and customers.";
  } else {
    line.textContent = "Pages and handovers for this person arrive here.";
  }
  node.appendChild(line);
  return node;
}

function renderMessages() {
  const list = $("messages");
  list.replaceChildren();
  if (state.current.kind !== "channel" || !state.current.id) return;
  const channel = state.current.id;
  const items = channelItems(channel);
  if (!items.length) list.appendChild(emptyChannel(channel));
  for (const item of items) list.appendChild(messageNode(channel, item));
  list.scrollTop = list.scrollHeight;
}

function renderThread() {
  const pane = $("thread");
  if (!state.thread) {
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  const { channel, ts } = state.thread;
  $("thread-sub").textContent = `#${channelName(channel) || channel}`;
  const list = $("thread-messages");
  list.replaceChildren();
  for (const item of threadItems(channel, ts)) {
    const node = messageNode(channel, item, { inThread: true });
    if (item.ts === ts) node.classList.add("thread-root");
    list.appendChild(node);
  }
  list.scrollTop = list.scrollHeight;
}

function openThread(channel, ts) {
  state.thread = { channel, ts };
  renderThread();
}

// -- sidebar, header, home ------------------------------------------------------------------

function navItem(label, prefix, active, unread, onClick, testId) {
  const item = el("li", "nav-item");
  if (active) item.classList.add("active");
  if (unread) item.classList.add("unread");
  item.dataset.nav = testId;
  const button = el("button", "nav-button");
  button.type = "button";
  button.appendChild(el("span", "nav-prefix", prefix));
  button.appendChild(el("span", "nav-label", label));
  if (unread) button.appendChild(el("span", "nav-badge", String(unread)));
  button.addEventListener("click", onClick);
  item.appendChild(button);
  return item;
}

function renderSidebar() {
  $("workspace-name").textContent = state.team ? state.team.name : "Workspace";
  const channels = $("channel-list");
  const dms = $("dm-list");
  channels.replaceChildren();
  dms.replaceChildren();
  for (const channel of state.channels.values()) {
    const active = state.current.kind === "channel" && state.current.id === channel.id;
    const unread = state.unread.get(channel.id) || 0;
    if (channel.is_im) {
      dms.appendChild(navItem(userName(channel.user) || channel.user, "●", active, unread, () => openChannel(channel.id), channel.id));
    } else {
      channels.appendChild(navItem(channel.name, "#", active, unread, () => openChannel(channel.id), channel.id));
    }
  }
  if (!dms.children.length) dms.appendChild(el("li", "nav-none", "None yet: pages and handovers arrive here."));
  const apps = $("app-list");
  apps.replaceChildren(navItem("Firebell", "🔔", state.current.kind === "home", 0, openHome, "home"));
}

function renderHead() {
  const title = $("pane-title");
  const sub = $("pane-sub");
  const tabs = $("tabs");
  if (state.current.kind === "home") {
    title.textContent = "🔔 Firebell";
    sub.textContent = `App Home, as ${userName(state.me) || state.me}`;
    tabs.hidden = false;
    for (const button of tabs.querySelectorAll("button")) button.classList.toggle("active", button.dataset.tab === state.homeTab);
    return;
  }
  const channel = state.channels.get(state.current.id);
  tabs.hidden = true;
  if (!channel) {
    title.textContent = "";
    sub.textContent = "";
    return;
  }
  if (channel.is_im) {
    title.textContent = `${userName(channel.user) || channel.user} ↔ Firebell`;
    sub.textContent = `Direct messages from Firebell to ${userName(channel.user)}: you act as ${userName(channel.user)} here.`;
  } else {
    title.textContent = `# ${channel.name}`;
    sub.textContent = channel.id === state.incidentChannel ? "Incident threads open here (incident_channel)" : channel.id === state.broadcastChannel ? "Summaries for stakeholders and support (broadcast_channel)" : "";
  }
}

function renderComposer() {
  const home = state.current.kind === "home" && state.homeTab === "home";
  $("composer").hidden = home;
  const input = $("composer-input");
  const channel = state.channels.get(state.current.id);
  if (channel) {
    const who = userName(actingUser());
    input.placeholder = channel.is_im ? `Message Firebell as ${who}` : `Message #${channel.name} as ${who}: try /incident declare sev2 Checkout is failing`;
  }
  const hints = $("hints");
  hints.replaceChildren();
  for (const hint of HINTS) {
    const chip = el("button", "hint", hint.length > 44 ? `${hint.slice(0, 43)}…` : hint);
    chip.type = "button";
    chip.title = hint;
    chip.addEventListener("click", () => {
      input.value = hint;
      input.focus();
    });
    hints.appendChild(chip);
  }
}

function renderHome() {
  const home = $("home");
  const showHome = state.current.kind === "home" && state.homeTab === "home";
  home.hidden = !showHome;
  $("messages").hidden = showHome;
  if (!showHome) return;
  home.replaceChildren();
  const view = state.homes[state.me];
  if (!view) {
    home.appendChild(el("div", "loading", "Opening the App Home… (Slack sends the bot app_home_opened; the bot answers with views.publish)"));
    return;
  }
  home.appendChild(renderBlocks(view.blocks, ctx({ me: state.me, act: actor({ view_id: view.id, user: state.me }) })));
}

// The person the picker shows is the one you act as everywhere: opening someone's direct
// messages with Firebell makes you that person, as the pane then says.
function becomeUser(id) {
  state.me = id;
  localStorage.setItem(STORE_KEY, id);
  $("user-select").value = id;
}

function dmOf(user) {
  const dm = `D${user.slice(1)}`;
  if (!state.channels.has(dm)) state.channels.set(dm, { id: dm, name: dm.toLowerCase(), is_im: true, user });
  return dm;
}

function openChannel(id) {
  const channel = state.channels.get(id);
  if (channel && channel.is_im && channel.user !== state.me) becomeUser(channel.user);
  if (state.thread && state.thread.channel !== id) state.thread = null;
  state.current = { kind: "channel", id };
  state.unread.delete(id);
  renderAll();
}

function openHome() {
  state.thread = null;
  state.current = { kind: "home", id: null };
  state.homeTab = "home";
  renderAll();
  api("home", { user: state.me });
}

function openHomeTab(tab) {
  if (tab === "messages") {
    openChannel(dmOf(state.me));
    return;
  }
  openHome();
}

// -- modals ------------------------------------------------------------------------------------

function myView() {
  const mine = [...state.views.values()].filter((v) => v.user === state.me || v.user === actingUser());
  return mine.length ? mine[mine.length - 1] : null;
}

function renderModal() {
  const view = myView();
  const overlay = $("modal-overlay");
  if (!view) {
    overlay.hidden = true;
    state.shownView = null;
    return;
  }
  const key = `${view.id}:${view.hash}:${JSON.stringify(view.blocks).length}`;
  if (!overlay.hidden && state.shownView === key) return;
  state.shownView = key;
  overlay.hidden = false;
  $("modal").dataset.viewId = view.id;
  $("modal").dataset.callbackId = view.callback_id || "";
  $("modal-title").textContent = plain(view.title);
  $("modal-error").textContent = "";
  const body = $("modal-body");
  body.replaceChildren(renderBlocks(view.blocks, ctx({ act: () => toast("Buttons inside modals are not part of the sandbox yet.") })));
  const submit = $("modal-submit");
  submit.hidden = !view.submit;
  submit.textContent = plain(view.submit) || "Submit";
  submit.disabled = false;
  $("modal-cancel").textContent = plain(view.close) || "Cancel";
  const first = body.querySelector("input, textarea, select");
  if (first) first.focus();
}

function fieldError(field, text) {
  const box = field.closest(".b-input");
  if (!box) return;
  box.classList.toggle("has-error", Boolean(text));
  box.querySelector(".b-error").textContent = text || "";
}

async function submitModal() {
  const view = myView();
  if (!view) return;
  const values = {};
  let invalid = false;
  for (const field of $("modal-body").querySelectorAll("[data-field]")) {
    const index = field.dataset.blockIndex;
    const block = view.blocks[Number(index)] || {};
    const type = field.dataset.elementType;
    fieldError(field, "");
    if (type === "checkboxes" || type === "radio_buttons") {
      const picked = [...field.querySelectorAll("input:checked")].map((box) => box.value);
      if (!block.optional && !picked.length) {
        fieldError(field, "Please complete this required field.");
        invalid = true;
      }
      values[index] = { selected: type === "checkboxes" ? picked : picked[0] || null };
      continue;
    }
    const value = field.value;
    if (!block.optional && !value.trim()) {
      fieldError(field, "Please complete this required field.");
      invalid = true;
    } else if (field.dataset.maxLength && value.length > Number(field.dataset.maxLength)) {
      fieldError(field, `Must be ${field.dataset.maxLength} characters or fewer.`);
      invalid = true;
    } else if (field.dataset.minLength && value && value.length < Number(field.dataset.minLength)) {
      fieldError(field, `Must be at least ${field.dataset.minLength} characters.`);
      invalid = true;
    }
    values[index] = type === "static_select" ? { selected: value || null } : { value };
  }
  if (invalid) return;
  const submit = $("modal-submit");
  submit.disabled = true;
  const answer = await api("submit", { user: view.user, view_id: view.id, values });
  submit.disabled = false;
  if (answer.errors) {
    let shown = false;
    view.blocks.forEach((block, index) => {
      if (block.block_id && answer.errors[block.block_id]) {
        const field = $("modal-body").querySelector(`[data-field][data-block-index="${index}"]`);
        if (field) {
          fieldError(field, answer.errors[block.block_id]);
          shown = true;
        }
      }
    });
    if (!shown) $("modal-error").textContent = Object.values(answer.errors).join(" ");
  } else if (answer.ok === false) {
    $("modal-error").textContent = answer.error || "Something went wrong.";
  }
}

async function closeModal() {
  const view = myView();
  if (view) await api("close", { user: view.user, view_id: view.id });
}

// -- the clock ---------------------------------------------------------------------------------

function renderClock() {
  const now = sandboxNow();
  const p = parts(now, { weekday: "short", day: "numeric", month: "short" });
  $("clock-now").textContent = `${p.weekday} ${p.day} ${p.month} · ${hhmm(now, true)}`;
  $("clock-zone").textContent = state.clock.timezone;
}

function renderSpeeds() {
  for (const button of $("speeds").querySelectorAll("button")) {
    button.classList.toggle("active", Number(button.dataset.rate) === state.clock.rate);
  }
  $("clock").classList.toggle("fast", state.clock.rate > 1);
}

// -- the stream --------------------------------------------------------------------------------

function load(snapshot) {
  state.team = snapshot.team;
  state.bot = snapshot.bot;
  state.users = snapshot.users;
  state.usersById = new Map(snapshot.users.map((u) => [u.id, u]));
  state.groups = snapshot.groups || {};
  state.channels = new Map(snapshot.channels.map((c) => [c.id, c]));
  state.messages = new Map(Object.entries(snapshot.messages));
  state.ephemerals = snapshot.ephemerals;
  state.views = new Map(snapshot.views.map((v) => [v.id, v]));
  state.homes = snapshot.homes;
  state.clock = { ...snapshot.clock, at: performance.now() };
  state.incidentChannel = snapshot.incident_channel;
  state.broadcastChannel = snapshot.broadcast_channel;
  state.unread = new Map();
  state.shownView = null;
  if (!state.me || !state.usersById.has(state.me)) {
    const saved = localStorage.getItem(STORE_KEY);
    state.me = saved && state.usersById.has(saved) ? saved : snapshot.users[0].id;
  }
  if (state.current.kind === "channel" && !state.channels.has(state.current.id)) {
    state.current = { kind: "channel", id: state.incidentChannel };
  }
  if (state.thread && !(state.messages.get(state.thread.channel) || []).some((m) => m.ts === state.thread.ts)) {
    state.thread = null;
  }
  const select = $("user-select");
  select.replaceChildren();
  for (const user of state.users) {
    const option = el("option", "", user.title ? `${user.real_name} · ${user.title}` : user.real_name);
    option.value = user.id;
    select.appendChild(option);
  }
  select.value = state.me;
  document.body.dataset.ready = "true";
}

function upsert(channel, message) {
  const list = state.messages.get(channel) || [];
  const index = list.findIndex((m) => m.ts === message.ts);
  const isNew = index < 0;
  if (isNew) {
    list.push(message);
    list.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  } else {
    list[index] = message;
  }
  state.messages.set(channel, list);
  return isNew;
}

function handle(kind, data) {
  if (kind === "snapshot") {
    load(data);
    renderAll();
    return;
  }
  if (kind === "message") {
    const { channel, message } = data;
    if (data.channel_info && !state.channels.has(channel)) {
      state.channels.set(channel, data.channel_info);
      renderSidebar();
    }
    const isNew = upsert(channel, message);
    const viewing = state.current.kind === "channel" && state.current.id === channel;
    if (isTopLevel(message)) {
      if (viewing) placeNode($("messages"), messageNode(channel, message), nearBottom($("messages")) || isNew);
      else if (isNew && message.user !== actingUser()) {
        state.unread.set(channel, (state.unread.get(channel) || 0) + 1);
        renderSidebar();
      }
    }
    if (state.thread && state.thread.channel === channel && (message.ts === state.thread.ts || message.thread_ts === state.thread.ts)) {
      const node = messageNode(channel, message, { inThread: true });
      if (message.ts === state.thread.ts) node.classList.add("thread-root");
      placeNode($("thread-messages"), node, true);
    }
    return;
  }
  if (kind === "message_deleted") {
    const list = state.messages.get(data.channel) || [];
    state.messages.set(data.channel, list.filter((m) => m.ts !== data.ts));
    renderMessages();
    renderThread();
    return;
  }
  if (kind === "ephemeral") {
    state.ephemerals.push(data);
    if (state.current.kind === "channel" && state.current.id === data.channel && data.user === actingUser()) {
      placeNode($("messages"), messageNode(data.channel, data), true);
    }
    return;
  }
  if (kind === "view") {
    state.views.delete(data.id);
    state.views.set(data.id, data);
    state.shownView = null;
    renderModal();
    return;
  }
  if (kind === "view_closed") {
    state.views.delete(data.id);
    renderModal();
    return;
  }
  if (kind === "home") {
    state.homes[data.user] = data.view;
    renderHome();
    return;
  }
  if (kind === "clock") {
    state.clock = { ...data, at: performance.now() };
    renderSpeeds();
    renderClock();
  }
}

function renderAll() {
  renderSidebar();
  renderHead();
  renderComposer();
  renderHome();
  renderMessages();
  renderThread();
  renderModal();
  renderSpeeds();
  renderClock();
}

function connect() {
  const source = new EventSource("/sandbox/events");
  source.onopen = () => {
    $("connection").hidden = true;
  };
  source.onerror = () => {
    $("connection").hidden = false;
  };
  source.onmessage = (event) => {
    const { kind, data } = JSON.parse(event.data);
    handle(kind, data);
  };
}

// -- wiring ------------------------------------------------------------------------------------

function composerSubmit(input, threadTs) {
  return async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const channel = threadTs ? state.thread.channel : state.current.id;
    if (!channel) return;
    input.value = "";
    const answer = await api("type", { user: actingUser(), channel, text, thread_ts: threadTs || "" });
    if (answer.ok === false && !answer.error) input.value = text;
  };
}

function enterSends(input, form) {
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}

function wire() {
  const composer = $("composer");
  const input = $("composer-input");
  composer.addEventListener("submit", composerSubmit(input, null));
  enterSends(input, composer);
  const threadForm = $("thread-composer");
  const threadInput = $("thread-input");
  threadForm.addEventListener("submit", (event) => composerSubmit(threadInput, state.thread && state.thread.ts)(event));
  enterSends(threadInput, threadForm);
  $("thread-close").addEventListener("click", () => {
    state.thread = null;
    renderThread();
  });
  $("user-select").addEventListener("change", (event) => {
    becomeUser(event.target.value);
    const channel = state.current.kind === "channel" ? state.channels.get(state.current.id) : null;
    if (state.current.kind === "home") openHome();
    else if (channel && channel.is_im) openChannel(dmOf(state.me)); // the new person's own DMs
    else renderAll();
  });
  for (const button of $("speeds").querySelectorAll("button")) {
    button.addEventListener("click", () => api("clock", { rate: Number(button.dataset.rate) }));
  }
  $("skip").addEventListener("click", () => api("clock", { skip_minutes: 15 }));
  $("reset").addEventListener("click", async () => {
    const sure = await confirmDialog({
      title: { type: "plain_text", text: "Start over?" },
      text: { type: "plain_text", text: "Every incident and message goes, the database is fresh, and sandbox time goes back to its start." },
      confirm: { type: "plain_text", text: "Start over" },
      style: "danger",
    });
    if (sure) await api("reset", {});
  });
  for (const button of $("tabs").querySelectorAll("button")) {
    button.addEventListener("click", () => openHomeTab(button.dataset.tab));
  }
  $("modal-submit").addEventListener("click", submitModal);
  $("modal-cancel").addEventListener("click", closeModal);
  $("modal-close").addEventListener("click", closeModal);
  $("modal-body").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT") {
      event.preventDefault();
      submitModal();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("modal-overlay").hidden && $("confirm-overlay").hidden) closeModal();
  });
  setInterval(renderClock, 250);
}

wire();
connect();
