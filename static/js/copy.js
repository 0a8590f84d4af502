// Copy buttons: <button data-copy="text" data-copy-target="id" data-copied="…" data-selected="…">.
// A file, not inline, for the CSP. Where the Clipboard API is missing or refused (plain
// http, an old WebView) the text is selected so a long press can copy it.
(() => {
  const say = (button, text) => {
    const status = button.parentElement.querySelector(".copy-status");
    if (status) status.textContent = text;
  };

  const select = (button) => {
    const target = document.getElementById(button.dataset.copyTarget || "");
    if (!target) return false;
    const range = document.createRange();
    range.selectNodeContents(target);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    }
  };

  const fallback = (button) => {
    say(button, select(button) ? button.dataset.copied : button.dataset.selected);
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    if (!navigator.clipboard || !window.isSecureContext) {
      fallback(button);
      return;
    }
    navigator.clipboard.writeText(button.dataset.copy).then(
      () => say(button, button.dataset.copied),
      () => fallback(button),
    );
  });
})();
