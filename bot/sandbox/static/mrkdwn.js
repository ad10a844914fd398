// Slack's mrkdwn, rendered safely: every piece of text becomes a DOM text node (never HTML).
//
// Handles what the bot sends: *bold*, _italic_, ~strike~, `code`, ```preformatted```,
// <@U…> user mentions, <!subteam^S…> groups, <!here>, <#C…> channels, <url|label> links,
// <!date^…^format|fallback> dates, :emoji: shortcodes, and &amp; &lt; &gt; entities.

export const EMOJI = {
  rotating_light: "🚨", eyes: "👀", arrow_double_up: "⏫", warning: "⚠️", memo: "📝",
  white_check_mark: "✅", leftwards_arrow_with_hook: "↩️", bust_in_silhouette: "👤",
  busts_in_silhouette: "👥", hourglass: "⌛", hourglass_flowing_sand: "⏳", bell: "🔔",
  no_bell: "🔕", red_circle: "🔴", large_yellow_circle: "🟡", large_green_circle: "🟢",
  large_blue_circle: "🔵", large_orange_circle: "🟠", white_circle: "⚪", black_circle: "⚫",
  sunny: "☀️", wave: "👋", arrows_counterclockwise: "🔄", zzz: "💤", clock5: "🕔",
  twisted_rightwards_arrows: "🔀", alarm_clock: "⏰", information_source: "ℹ️",
  wrench: "🔧", repeat: "🔁", pushpin: "📌", fire: "🔥", bar_chart: "📊", mega: "📣",
  loudspeaker: "📢", speech_balloon: "💬", calendar: "📅", x: "❌", heavy_check_mark: "✔️",
  exclamation: "❗", rocket: "🚀", tada: "🎉", thumbsup: "👍", "+1": "👍", mag: "🔍",
  chart_with_upwards_trend: "📈", chart_with_downwards_trend: "📉", page_facing_up: "📄",
  link: "🔗", stopwatch: "⏱️", construction: "🚧", pager: "📟", octagonal_sign: "🛑",
  sos: "🆘", hammer_and_wrench: "🛠️", clipboard: "📋",
  spiral_note_pad: "🗒️", pencil: "📝", lock: "🔒", key: "🔑", bulb: "💡", hourglass_done: "⌛",
  arrow_right: "➡️", arrow_up: "⬆️", arrow_down: "⬇️", new: "🆕", sparkles: "✨",
  green_heart: "💚", broken_heart: "💔", ok: "🆗", heavy_minus_sign: "➖",
};

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };

export function decode(text) {
  return text.replace(/&(amp|lt|gt);/g, (m) => ENTITIES[m]);
}

export function emojify(text) {
  return text.replace(/:([a-z0-9_+-]{1,64}):/g, (m, name) => EMOJI[name] || m);
}

// A text node of decoded, emojified text.
function textNode(raw) {
  return document.createTextNode(emojify(decode(raw)));
}

const MARKS = { "*": "strong", _: "em", "~": "del" };
const PUNCT = /[\s.,;:!?()[\]{}"'/\\-]/;

// Where the control sequence starting at i ends (index of ">"), or -1.
function controlEnd(s, i) {
  const end = s.indexOf(">", i + 1);
  if (end < 0) return -1;
  const inner = s.slice(i + 1, end);
  return inner.includes("<") || inner.includes("\n") ? -1 : end;
}

// The closing delimiter for a mark opened at i, skipping <…> sequences; -1 if none.
function closing(s, i, mark) {
  for (let j = i + 2; j < s.length; j++) {
    const c = s[j];
    if (c === "\n") return -1;
    if (c === "<") {
      const end = controlEnd(s, j);
      if (end > 0) { j = end; continue; }
    }
    if (c === mark && !/\s/.test(s[j - 1]) && (j + 1 >= s.length || PUNCT.test(s[j + 1]) || MARKS[s[j + 1]])) {
      return j;
    }
  }
  return -1;
}

// Inline mrkdwn -> nodes appended to `parent`. `ctx` resolves mentions, channels and dates.
function inline(s, parent, ctx) {
  let text = "";
  const flush = () => { if (text) { parent.appendChild(textNode(text)); text = ""; } };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "<") {
      const end = controlEnd(s, i);
      if (end > 0) {
        flush();
        parent.appendChild(control(s.slice(i + 1, end), ctx));
        i = end;
        continue;
      }
    }
    if (c === "`") {
      const end = s.indexOf("`", i + 1);
      if (end > i + 1) {
        flush();
        const code = document.createElement("code");
        code.textContent = decode(s.slice(i + 1, end));
        parent.appendChild(code);
        i = end;
        continue;
      }
    }
    if (MARKS[c] && (i === 0 || PUNCT.test(s[i - 1]) || MARKS[s[i - 1]]) && s[i + 1] && !/\s/.test(s[i + 1])) {
      const end = closing(s, i, c);
      if (end > 0) {
        flush();
        const el = document.createElement(MARKS[c]);
        inline(s.slice(i + 1, end), el, ctx);
        parent.appendChild(el);
        i = end;
        continue;
      }
    }
    text += c;
  }
  flush();
}

function chip(className, label, title) {
  const el = document.createElement("span");
  el.className = className;
  el.textContent = label;
  if (title) el.title = title;
  return el;
}

const SAFE_URL = /^(https?:|mailto:)/i;

// One <…> control sequence (without the brackets) -> a node.
function control(inner, ctx) {
  const bar = inner.indexOf("|");
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? inner.slice(bar + 1) : "";
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const name = ctx.userName(id) || label || id;
    const el = chip("mention", "@" + name, id);
    if (ctx.me && ctx.me === id) el.classList.add("mention-me");
    return el;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const name = ctx.channelName(id) || label || id;
    const el = chip("channel-link", "#" + name, id);
    el.addEventListener("click", () => ctx.openChannel && ctx.openChannel(id));
    return el;
  }
  if (target.startsWith("!subteam^")) {
    const id = target.slice("!subteam^".length);
    return chip("mention", "@" + (ctx.groupName(id) || label || id), id);
  }
  if (target.startsWith("!date^")) {
    const [, stamp, format, link] = target.split("^");
    const shown = ctx.formatDate(Number(stamp), format || "", decode(label || ""));
    const el = chip("date", shown, decode(label || ""));
    if (link && SAFE_URL.test(link)) {
      const a = document.createElement("a");
      a.href = link;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.appendChild(el);
      return a;
    }
    return el;
  }
  if (target.startsWith("!")) {
    const word = target.slice(1);
    return chip("mention", "@" + (label || word), target);
  }
  const url = decode(target);
  if (SAFE_URL.test(url)) {
    const a = document.createElement("a");
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = emojify(decode(label || target));
    return a;
  }
  return textNode("<" + inner + ">");
}

// A whole mrkdwn text -> a fragment. ```blocks``` become <pre>, the rest is inline.
export function mrkdwn(text, ctx) {
  const fragment = document.createDocumentFragment();
  const parts = String(text || "").split("```");
  parts.forEach((part, i) => {
    if (i % 2 === 1 && i < parts.length - 1) {
      const pre = document.createElement("pre");
      pre.textContent = decode(part.replace(/^\n/, ""));
      fragment.appendChild(pre);
    } else {
      const piece = i % 2 === 1 ? "```" + part : part;
      quoteLines(piece, fragment, ctx);
    }
  });
  return fragment;
}

// Lines starting with "&gt; " are a quote; the rest is inline text.
function quoteLines(text, parent, ctx) {
  const lines = text.split("\n");
  let run = [];
  let quoted = false;
  const emit = () => {
    if (!run.length) return;
    const joined = run.join("\n");
    if (quoted) {
      const q = document.createElement("blockquote");
      inline(joined, q, ctx);
      parent.appendChild(q);
    } else {
      const span = document.createElement("span");
      inline(joined, span, ctx);
      parent.appendChild(span);
    }
    run = [];
  };
  lines.forEach((line) => {
    const isQuote = line.startsWith("&gt; ") || line === "&gt;";
    if (isQuote !== quoted) { emit(); quoted = isQuote; }
    run.push(isQuote ? line.replace(/^&gt; ?/, "") : line);
  });
  emit();
}

// plain_text objects: only emoji (when asked) and no formatting at all.
export function plain(obj) {
  if (!obj) return "";
  const text = typeof obj === "string" ? obj : obj.text || "";
  return obj.emoji === false ? text : emojify(text);
}

// Slack text objects of either type -> a fragment.
export function textObject(obj, ctx) {
  if (!obj) return document.createDocumentFragment();
  if (obj.type === "mrkdwn") return mrkdwn(obj.text, ctx);
  const fragment = document.createDocumentFragment();
  fragment.appendChild(document.createTextNode(plain(obj)));
  return fragment;
}
