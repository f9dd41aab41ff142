// Copy buttons: <button data-copy="#element-id" data-copied="Copied">, copying an input's value or
// an element's text. Falls back to selecting it where the Clipboard API is not available (plain
// http).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  const status = button.closest("section")?.querySelector(".copy-status");
  const isField = source instanceof HTMLInputElement || source instanceof HTMLTextAreaElement;
  try {
    await navigator.clipboard.writeText(isField ? source.value : source.textContent.trim());
  } catch {
    if (isField) {
      source.select();
    } else {
      window.getSelection().selectAllChildren(source);
    }
    document.execCommand("copy");
  }
  if (status) status.textContent = button.dataset.copied;
});
