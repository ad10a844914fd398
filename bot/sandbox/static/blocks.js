// Block Kit -> DOM, for the block types the bot uses: header, section (text, fields,
// accessory), context, divider, actions (buttons, static_select), image, and in modals input
// blocks with plain_text_input and static_select. Text goes through mrkdwn.js, never innerHTML.

import { plain, textObject } from "./mrkdwn.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function options(element) {
  const found = [...(element.options || [])];
  for (const group of element.option_groups || []) found.push(...(group.options || []));
  return found;
}

// A button or a static_select; `act(element, selectedValue)` sends the interaction.
function interactive(element, blockIndex, ctx) {
  if (element.type === "button") {
    const button = el("button", "btn");
    if (element.style === "primary") button.classList.add("btn-primary");
    if (element.style === "danger") button.classList.add("btn-danger");
    button.type = "button";
    button.textContent = plain(element.text);
    button.dataset.actionId = element.action_id || "";
    if (element.url) {
      button.addEventListener("click", () => window.open(element.url, "_blank", "noopener"));
      return button;
    }
    button.addEventListener("click", () => ctx.act(element, blockIndex, null, button));
    return button;
  }
  if (element.type === "static_select") {
    const select = el("select", "select");
    select.dataset.actionId = element.action_id || "";
    const initial = element.initial_option ? element.initial_option.value : null;
    if (!initial) {
      const placeholder = el("option", "", plain(element.placeholder) || "Select an item");
      placeholder.value = "";
      placeholder.disabled = true;
      placeholder.selected = true;
      select.appendChild(placeholder);
    }
    for (const option of options(element)) {
      const item = el("option", "", plain(option.text));
      item.value = option.value;
      if (option.value === initial) item.selected = true;
      select.appendChild(item);
    }
    select.addEventListener("change", () => {
      const chosen = select.value;
      select.value = initial || "";  // as in Slack, the message shows what the app renders
      ctx.act(element, blockIndex, chosen, select);
    });
    return select;
  }
  if (element.type === "image") {
    return el("span", "image-alt", element.alt_text || "image");
  }
  if (element.type === "overflow") {
    const select = el("select", "select overflow");
    const dots = el("option", "", "⋯");
    dots.value = "";
    select.appendChild(dots);
    for (const option of options(element)) {
      const item = el("option", "", plain(option.text));
      item.value = option.value;
      select.appendChild(item);
    }
    select.addEventListener("change", () => {
      const chosen = select.value;
      select.value = "";
      ctx.act(element, blockIndex, chosen, select);
    });
    return select;
  }
  return el("span", "unsupported", `[${element.type}]`);
}

// Checkboxes or radio buttons: a group of labelled choices.
function choices(element, blockIndex) {
  const group = el("div", "choices");
  const multiple = element.type === "checkboxes";
  const initial = new Set(
    (multiple ? element.initial_options || [] : element.initial_option ? [element.initial_option] : []).map((o) => o.value),
  );
  for (const option of options(element)) {
    const row = el("label", "choice");
    const box = document.createElement("input");
    box.type = multiple ? "checkbox" : "radio";
    box.name = `choice-${blockIndex}`;
    box.value = option.value;
    box.checked = initial.has(option.value);
    row.appendChild(box);
    const words = el("span", "choice-words");
    words.appendChild(el("span", "choice-text", plain(option.text)));
    if (option.description) words.appendChild(el("span", "choice-description", plain(option.description)));
    row.appendChild(words);
    group.appendChild(row);
  }
  return group;
}

// An input block's element, for a modal: text input, textarea, select, checkboxes or radios.
// The element's root carries data-field and data-block-index; app.js reads its value.
function inputElement(element, blockIndex) {
  let field;
  if (element.type === "checkboxes" || element.type === "radio_buttons") {
    field = choices(element, blockIndex);
  } else if (element.type === "static_select") {
    field = el("select", "select input-select");
    const initial = element.initial_option ? element.initial_option.value : "";
    const placeholder = el("option", "", plain(element.placeholder) || "Select an item");
    placeholder.value = "";
    field.appendChild(placeholder);
    for (const option of options(element)) {
      const item = el("option", "", plain(option.text));
      item.value = option.value;
      if (option.value === initial) item.selected = true;
      field.appendChild(item);
    }
  } else {
    field = element.multiline ? el("textarea", "input") : el("input", "input");
    if (!element.multiline) field.type = "text";
    if (element.multiline) field.rows = 4;
    if (element.placeholder) field.placeholder = plain(element.placeholder);
    if (element.initial_value) field.value = element.initial_value;
  }
  field.dataset.field = "1";
  field.dataset.blockIndex = String(blockIndex);
  field.dataset.elementType = element.type || "plain_text_input";
  if (element.max_length) field.dataset.maxLength = String(element.max_length);
  if (element.min_length) field.dataset.minLength = String(element.min_length);
  return field;
}

// rich_text, shown as its plain text (the bot does not send it; people's messages may).
function richText(elements) {
  return (elements || [])
    .map((item) => (item.text !== undefined ? item.text : richText(item.elements)))
    .join("");
}

function section(block, index, ctx) {
  const node = el("div", "b-section");
  const main = el("div", "b-section-main");
  if (block.text) {
    const text = el("div", "b-text");
    text.appendChild(textObject(block.text, ctx));
    main.appendChild(text);
  }
  if (block.fields && block.fields.length) {
    const grid = el("div", "b-fields");
    for (const field of block.fields) {
      const cell = el("div", "b-field");
      cell.appendChild(textObject(field, ctx));
      grid.appendChild(cell);
    }
    main.appendChild(grid);
  }
  node.appendChild(main);
  if (block.accessory) {
    const accessory = el("div", "b-accessory");
    accessory.appendChild(interactive(block.accessory, index, ctx));
    node.appendChild(accessory);
  }
  return node;
}

function block(block, index, ctx) {
  switch (block.type) {
    case "header":
      return el("div", "b-header", plain(block.text));
    case "section":
      return section(block, index, ctx);
    case "divider":
      return el("hr", "b-divider");
    case "context": {
      const node = el("div", "b-context");
      for (const item of block.elements || []) {
        const part = el("span", "b-context-item");
        if (item.type === "image") part.textContent = item.alt_text || "";
        else part.appendChild(textObject(item, ctx));
        node.appendChild(part);
      }
      return node;
    }
    case "actions": {
      const node = el("div", "b-actions");
      for (const element of block.elements || []) node.appendChild(interactive(element, index, ctx));
      return node;
    }
    case "image": {
      const node = el("div", "b-image");
      node.textContent = `🖼 ${block.alt_text || "image"}`;
      return node;
    }
    case "input": {
      const node = el("div", "b-input");
      node.dataset.blockIndex = String(index);
      const label = el("label", "b-input-label", plain(block.label));
      if (block.optional) label.appendChild(el("span", "optional", " (optional)"));
      node.appendChild(label);
      node.appendChild(inputElement(block.element || {}, index));
      if (block.hint) node.appendChild(el("div", "b-hint", plain(block.hint)));
      node.appendChild(el("div", "b-error"));
      return node;
    }
    case "rich_text":
      return el("div", "b-text", richText(block.elements));
    default:
      return el("div", "unsupported", `[unsupported block: ${block.type}]`);
  }
}

// A list of blocks -> a fragment; ctx: mrkdwn's resolvers plus act(element, index, value, node).
export function renderBlocks(blocks, ctx) {
  const fragment = document.createDocumentFragment();
  (blocks || []).forEach((b, i) => fragment.appendChild(block(b, i, ctx)));
  return fragment;
}
