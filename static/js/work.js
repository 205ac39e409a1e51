// Work pages (goal page, work list): progressive enhancements; every form works without this file.

// A form re-rendered with its errors answers 422: swap it in like a success, so the errors show
// where the user typed.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
