// The personal center's layout helpers. A file, not inline script: the Content-Security-Policy
// allows none.

// On a phone the section menu is one strip that scrolls sideways: bring the current section
// into view, so the reader sees where they are.
const current = document.querySelector(".center-nav [aria-current=page]");
if (current) {
  const strip = current.closest("ul");
  if (strip.scrollWidth > strip.clientWidth) {
    const offset = current.getBoundingClientRect().left - strip.getBoundingClientRect().left;
    strip.scrollLeft += offset - (strip.clientWidth - current.offsetWidth) / 2;
  }
}
