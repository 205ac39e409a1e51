// Coverage dashboard and triage queues: progressive enhancements; every form works without
// this file. (A triage form re-rendered with its errors answers 422; app.js swaps it in.)

(() => {
  const enhance = (root) => {
    // "Select all" boxes need this file, so they are hidden until it runs.
    root.querySelectorAll("input.select-all[data-select-all]").forEach((box) => {
      box.hidden = false;
      box.setAttribute("aria-label", "Select all rows");
    });
    root.querySelectorAll("[data-close-picker]").forEach((button) => {
      button.hidden = false;
    });
  };

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.matches("input.select-all[data-select-all]")) {
      return;
    }
    const rows = document.getElementById(box.dataset.selectAll);
    if (!rows) return;
    rows.querySelectorAll('input[type="checkbox"]').forEach((row) => {
      row.checked = box.checked;
    });
  });

  // Close a row's goal picker: empty its slot and give focus back to the row's button.
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element && event.target.closest("[data-close-picker]");
    if (!button) return;
    const slot = button.closest(".row-picker-slot");
    if (!slot) return;
    const opener = slot.parentElement && slot.parentElement.querySelector("a.button");
    slot.replaceChildren();
    if (opener) opener.focus();
  });

  document.addEventListener("htmx:load", (event) => enhance(event.detail.elt));
  document.addEventListener("DOMContentLoaded", () => enhance(document));
})();
