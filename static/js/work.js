// The goal page's add-task form: after a task is added (htmx), the server answers with the new
// row and the counts only, and fires "task-added" on the form; the form then goes back to how
// the page first showed it, ready for the next task. Without this file, or without htmx, the
// form posts and the page reloads with an empty form.
(() => {
  const fresh = new Map();

  const remember = (root) => {
    root.querySelectorAll("form[data-fresh-after-add]").forEach((form) => {
      if (form.id && !fresh.has(form.id)) fresh.set(form.id, form.cloneNode(true));
    });
  };

  document.addEventListener("task-added", (event) => {
    const form = event.target instanceof Element && event.target.closest("form[data-fresh-after-add]");
    const pristine = form && fresh.get(form.id);
    if (!pristine) return;
    const again = pristine.cloneNode(true);
    form.replaceWith(again);
    if (window.htmx) window.htmx.process(again);
    const first = again.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  });

  document.addEventListener("DOMContentLoaded", () => remember(document));
})();
