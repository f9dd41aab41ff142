// Copy buttons: <button data-copy="#input-id" data-copied="Copied">. Falls back to
// selecting the text where the Clipboard API is not available (plain http).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.querySelector(button.dataset.copy);
  const status = button.closest("section").querySelector(".copy-status");
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand("copy");
  }
  if (status) status.textContent = button.dataset.copied;
});
