// The trace tree: keyboard use after the WAI-ARIA tree pattern (roving tabindex; Up and Down
// move, Right or Enter expands, Left collapses or goes to the parent, Home and End), and goals
// expanded by loading their children once with htmx, then collapsed and reopened without asking
// the server again. Without this file every toggle is a plain link that opens the tree there.
(() => {
  const TREE = '[role="tree"].trace-tree';
  const ITEM = '[role="treeitem"]';

  const treeOf = (el) => el.closest(TREE);
  const rowOf = (item) => item.querySelector(":scope > .trace-row");
  const groupOf = (item) => item.querySelector(':scope > [role="group"]');
  const parentOf = (item) => item.parentElement.closest(ITEM);
  const isExpandable = (item) => item.hasAttribute("aria-expanded");
  const isExpanded = (item) => item.getAttribute("aria-expanded") === "true";
  const isShown = (item) => !item.parentElement.closest('[role="group"][hidden]');
  const shownItems = (tree) => [...tree.querySelectorAll(ITEM)].filter(isShown);

  // Only the active item, and the links of its own row, are in the tab order.
  const setTabbable = (item, on) => {
    item.tabIndex = on ? 0 : -1;
    const row = rowOf(item);
    if (row) row.querySelectorAll("a, button").forEach((el) => (el.tabIndex = on ? 0 : -1));
  };

  const activate = (item, focus = true) => {
    if (!item) return;
    const tree = treeOf(item);
    tree.querySelectorAll(`${ITEM}[tabindex="0"]`).forEach((other) => {
      if (other !== item) setTabbable(other, false);
    });
    setTabbable(item, true);
    if (focus) item.focus();
  };

  const setExpanded = (item, open) => {
    item.setAttribute("aria-expanded", String(open));
    const group = groupOf(item);
    if (group) group.hidden = !open;
    const text = item.querySelector(":scope > .trace-row .trace-toggle-text");
    if (text) text.textContent = `${open ? "Collapse" : "Expand"} ${item.dataset.key || ""}`;
  };

  const expand = (item) => {
    if (!isExpandable(item) || isExpanded(item) || item.getAttribute("aria-busy") === "true") {
      return;
    }
    if (item.dataset.loaded === "true") {
      setExpanded(item, true);
      return;
    }
    const group = groupOf(item);
    item.setAttribute("aria-busy", "true");
    const done = () => {
      item.removeAttribute("aria-busy");
      // Loaded once: collapsing only hides the group, reopening shows it again.
      if (group.querySelector(ITEM)) {
        item.dataset.loaded = "true";
        setExpanded(item, true);
      }
    };
    htmx.ajax("GET", item.dataset.childrenUrl, { target: group, swap: "innerHTML" }).then(done, done);
  };

  const collapse = (item) => {
    if (!isExpandable(item) || !isExpanded(item)) return;
    const hadFocus = groupOf(item).contains(document.activeElement);
    setExpanded(item, false);
    if (hadFocus) activate(item);
  };

  const toggle = (item) => (isExpanded(item) ? collapse(item) : expand(item));

  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const item = target.closest(ITEM);
    if (!item || !treeOf(item)) return;
    if (target.closest(".trace-toggle")) {
      event.preventDefault();
      toggle(item);
    }
    activate(item, !target.closest("a:not(.trace-toggle)"));
  });

  document.addEventListener("keydown", (event) => {
    const item = event.target;
    if (!(item instanceof HTMLElement) || item.getAttribute("role") !== "treeitem") return;
    const tree = treeOf(item);
    if (!tree || event.altKey || event.ctrlKey || event.metaKey) return;
    const items = shownItems(tree);
    const index = items.indexOf(item);
    switch (event.key) {
      case "ArrowDown":
        activate(items[index + 1]);
        break;
      case "ArrowUp":
        activate(items[index - 1]);
        break;
      case "Home":
        activate(items[0]);
        break;
      case "End":
        activate(items[items.length - 1]);
        break;
      case "ArrowRight":
        if (isExpandable(item) && isExpanded(item)) activate(groupOf(item).querySelector(ITEM));
        else expand(item);
        break;
      case "ArrowLeft":
        if (isExpandable(item) && isExpanded(item)) collapse(item);
        else activate(parentOf(item));
        break;
      case "Enter":
        if (isExpandable(item)) toggle(item);
        else rowOf(item)?.querySelector("a")?.click();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // "Show more" replaces itself with the next items: keep the focus where it was.
  let refocus = null;
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (target instanceof Element && target.matches(".trace-more") && treeOf(target)) {
      const tree = treeOf(target);
      refocus = { tree, index: shownItems(tree).indexOf(target), focus: target.contains(document.activeElement) };
    }
  });

  // Every item starts out of the tab order; one per tree joins it (the focused node, else the
  // first), and so do the links of its row.
  const init = () => {
    document.querySelectorAll(TREE).forEach((tree) => {
      let active = tree.querySelector(`${ITEM}[tabindex="0"]`);
      if (active && !isShown(active)) active = null;
      tree.querySelectorAll(ITEM).forEach((item) => {
        if (item !== active) setTabbable(item, false);
      });
      if (!active) {
        active = tree.querySelector(".is-focused") || shownItems(tree)[0];
        if (active) setTabbable(active, true);
      }
    });
  };

  document.addEventListener("htmx:afterSettle", () => {
    init();
    if (refocus) {
      const { tree, index, focus } = refocus;
      refocus = null;
      if (tree.isConnected) activate(shownItems(tree)[index], focus);
    }
  });

  const start = () => {
    init();
    const focused = document.querySelector(`${TREE} .is-focused`);
    if (focused) {
      activate(focused);
      focused.scrollIntoView({ block: "center" });
    }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
