// Small progressive enhancements; every page works without this file.
document.addEventListener("htmx:configRequest", () => {});
// Close the organization switcher when clicking elsewhere.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.switcher[open]").forEach((d) => {
    if (!d.contains(event.target)) d.removeAttribute("open");
  });
});
