() => {
  // What a person reads on the page (visible text outside code and form controls) and
  // the links they can follow (in the main area and the navigation).
  const skip = "code, pre, kbd, samp, script, style, template, input, textarea, select, noscript, [data-code]";
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") return false;
    const rect = el.getBoundingClientRect();
    return rect.width > 0 && rect.height > 0;
  };
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.replace(/\s+/g, " ").trim();
    const parent = node.parentElement;
    if (!text || !parent || parent.closest(skip) || parent.closest("dialog:not([open])")) continue;
    if (!visible(parent)) continue;
    // the element's whole text (a repr split over several nodes is still seen whole),
    // less what it holds as code
    const copy = parent.cloneNode(true);
    copy.querySelectorAll(skip).forEach((inner) => inner.remove());
    texts.push(copy.textContent.replace(/\s+/g, " ").trim());
  }
  const links = [];
  document.querySelectorAll("main a[href], nav a[href]").forEach((a) => {
    if (!visible(a) || a.hasAttribute("download") && a.getAttribute("href").startsWith("data:")) return;
    links.push({ href: a.href, text: a.textContent.replace(/\s+/g, " ").trim() });
  });
  return { texts: [...new Set(texts)], links };
}
