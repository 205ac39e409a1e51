// Goal form: a quarter quick pick fills the start and end dates at once. The server fills them
// too when a quarter is chosen, so the form works without this file.
(() => {
  const pad = (n) => String(n).padStart(2, "0");

  const quarterDates = (value) => {
    const match = /^(\d{4})-Q([1-4])$/.exec(value);
    if (!match) return null;
    const year = Number(match[1]);
    const lastMonth = 3 * Number(match[2]);
    const lastDay = new Date(Date.UTC(year, lastMonth, 0)).getUTCDate();
    return {
      start_date: `${year}-${pad(lastMonth - 2)}-01`,
      end_date: `${year}-${pad(lastMonth)}-${pad(lastDay)}`,
    };
  };

  document.addEventListener("change", (event) => {
    const el = event.target;
    if (!(el instanceof HTMLElement) || !el.form) return;
    if (el.matches("select[data-quarter-pick]")) {
      const dates = quarterDates(el.value);
      if (!dates) return;
      for (const [name, value] of Object.entries(dates)) {
        const input = el.form.querySelector(`[data-quarter-target="${name}"]`);
        if (input) input.value = value;
      }
    } else if (el.matches("[data-quarter-target]")) {
      // Typed dates are custom dates: the quarter must not overwrite them on save.
      const pick = el.form.querySelector("select[data-quarter-pick]");
      if (pick) pick.value = "";
    }
  });
})();
