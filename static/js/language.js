// The language menu switches as soon as a language is chosen (a <noscript> button does it
// without script). A file, not an onchange attribute: the Content-Security-Policy allows no
// inline script.
document.getElementById("language-select")?.addEventListener("change", (event) => {
  event.target.form.submit();
});
