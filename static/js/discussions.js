// The mention picker: choosing a member among its suggestions writes "@their-email " into the
// comment at the cursor. Without this file, typing "@" and the email in the comment does the same.
function chosenMention(picker) {
  const value = picker.value.trim();
  if (!picker.list) return "";
  const options = Array.from(picker.list.options, (option) => option.value);
  return options.includes(value) ? value : "";
}

function insertMention(picker) {
  const value = chosenMention(picker);
  const box = document.getElementById(picker.dataset.mentionInto || "");
  if (!value || !(box instanceof HTMLTextAreaElement)) return;
  const at = box.selectionStart ?? box.value.length;
  const before = box.value.slice(0, at);
  const gap = before === "" || /\s$/.test(before) ? "" : " ";
  box.value = `${before}${gap}${value} ${box.value.slice(at)}`;
  picker.value = "";
  box.focus();
  const caret = before.length + gap.length + value.length + 1;
  box.setSelectionRange(caret, caret);
}

for (const type of ["input", "change"]) {
  document.addEventListener(type, (event) => {
    const picker = event.target;
    if (picker instanceof HTMLInputElement && picker.classList.contains("mention-picker")) {
      insertMention(picker);
    }
  });
}
