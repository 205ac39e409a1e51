// Small progressive enhancements; every page works without this file.

// A form re-rendered with its errors answers 422: swap it in like a success, so the errors show
// where the user typed (htmx leaves 4xx answers unswapped by default).
// A database outage answers 503 with a message for the page's message area (HX-Retarget).
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status === 422 || status === 503) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// Close the organization switcher when clicking elsewhere.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.switcher[open]").forEach((d) => {
    if (!d.contains(event.target)) d.removeAttribute("open");
  });
});
