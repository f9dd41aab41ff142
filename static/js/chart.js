// 概览's earnings chart: a tap, a click or the keyboard's focus on a month's bar prints that
// month's figures under the chart, where a finger does not cover them. Without script the same
// figures are in the bar's title and in the table under the chart. A file, not inline script:
// the Content-Security-Policy.

const readout = document.querySelector("[data-chart-readout]");
if (readout) {
  for (const month of document.querySelectorAll(".chart [data-readout]")) {
    const show = () => {
      readout.textContent = month.dataset.readout;
    };
    month.addEventListener("focus", show);
    month.addEventListener("click", show);
    month.addEventListener("mouseenter", show);
  }
}
