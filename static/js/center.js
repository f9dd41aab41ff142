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

// A table whose rows become cards on a phone labels each cell with its column's head
// (data-label). Rows written without labels get them here from the table's head.
for (const table of document.querySelectorAll("table.rows-as-cards")) {
  const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const row of table.tBodies[0]?.rows ?? []) {
    [...row.cells].forEach((cell, index) => {
      if (!cell.hasAttribute("data-label") && heads[index]) cell.dataset.label = heads[index];
    });
  }
}
