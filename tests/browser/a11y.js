() => {
  // An accessibility smoke check: not a full audit, but the mistakes that matter most.
  const problems = [];
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") return false;
    const rect = el.getBoundingClientRect();
    return rect.width > 0 && rect.height > 0;
  };
  const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.name ? "[name=" + el.name + "]" : ""}`;
  const nameOf = (el) => {
    const labelledBy = el.getAttribute("aria-labelledby");
    if (labelledBy) {
      const text = labelledBy.split(/\s+/).map((id) => (document.getElementById(id) || {}).textContent || "").join(" ").trim();
      if (text) return text;
    }
    return (el.getAttribute("aria-label") || el.textContent || el.getAttribute("title") || el.value || "").trim();
  };

  if (!document.documentElement.lang) problems.push("html has no lang");
  if (!document.title.trim()) problems.push("page has no title");
  if (!document.querySelector("main")) problems.push("no main landmark");

  const h1s = document.querySelectorAll("h1");
  if (h1s.length !== 1) problems.push(`expected one h1, found ${h1s.length}`);
  let previous = 0;
  document.querySelectorAll("h1, h2, h3, h4, h5, h6").forEach((heading) => {
    if (heading.closest("dialog:not([open])")) return;
    const level = Number(heading.tagName[1]);
    if (previous && level > previous + 1) problems.push(`heading jumps from h${previous} to h${level}: ${heading.textContent.trim()}`);
    previous = level;
  });

  document.querySelectorAll("input, select, textarea").forEach((el) => {
    if (el.type === "hidden" || el.type === "submit" || el.type === "button") return;
    const labelled = (el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!labelled) problems.push(`control without a label: ${describe(el)}`);
  });
  document.querySelectorAll("button, a[href]").forEach((el) => {
    if (!nameOf(el)) problems.push(`${describe(el)} has no accessible name`);
  });
  document.querySelectorAll("img").forEach((el) => {
    if (!el.hasAttribute("alt")) problems.push(`img without alt: ${el.src}`);
  });
  document.querySelectorAll("svg[role=img]").forEach((el) => {
    if (!nameOf(el)) problems.push("svg image without a name");
  });
  const ids = {};
  document.querySelectorAll("[id]").forEach((el) => { ids[el.id] = (ids[el.id] || 0) + 1; });
  Object.entries(ids).forEach(([id, count]) => { if (count > 1) problems.push(`duplicate id ${id}`); });

  // Contrast of every piece of visible text against the background it sits on.
  const rgb = (text) => {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(",").map((p) => parseFloat(p));
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const luminance = (c) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  };
  const background = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour && colour.a >= 0.99) return colour;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  let checkedText = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el) || !visible(el)) continue;
    if (el.closest("svg, dialog:not([open]), .visually-hidden, .skip-link")) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const fg = rgb(style.color);
    if (!fg) continue;
    const bg = background(el);
    const [light, dark] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    checkedText += 1;
    if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)} for "${node.textContent.trim().slice(0, 40)}" (${style.color} on rgb(${bg.r},${bg.g},${bg.b}))`);
  }
  return { problems, checkedText };
}
