// 提现: "全部提现" fills in the whole withdrawable amount, and each withdrawal still on its way
// to Alipay is asked about (its state URL, the row's data-watch) until its answer is in; its row and the
// balances are then replaced in place. A file, not inline script: the Content-Security-Policy.

const fill = document.querySelector("[data-fill-amount]");
if (fill) {
  fill.hidden = false; // without script there is nothing for it to do
  fill.addEventListener("click", () => {
    const input = document.querySelector(fill.dataset.fill);
    input.value = fill.dataset.fillAmount;
    input.focus();
  });
}

// An amount as the pages write it, thousands apart: "12345.6" is 12,345.60 (`yuan_figure`).
function yuanFigure(amount) {
  const [whole, fraction = ""] = String(amount).split(".");
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${fraction.padEnd(2, "0")}`;
}

const FIRST_ASK_MS = 2000;
const LONGEST_WAIT_MS = 30000;

function watch(row, wait) {
  setTimeout(async () => {
    let answer;
    try {
      const response = await fetch(row.dataset.watch, { headers: { Accept: "application/json" } });
      if (!response.ok) return; // gone, or logged out: stop asking
      answer = await response.json();
    } catch {
      watch(row, Math.min(wait * 2, LONGEST_WAIT_MS)); // offline for a moment: ask again later
      return;
    }
    const template = document.createElement("template");
    template.innerHTML = answer.row.trim();
    const fresh = template.content.firstElementChild;
    row.replaceWith(fresh);
    for (const [bucket, amount] of Object.entries(answer.balances)) {
      for (const shown of document.querySelectorAll(`[data-balance="${bucket}"]`)) shown.textContent = `¥${yuanFigure(amount)}`;
    }
    if (fill) fill.dataset.fillAmount = answer.balances.withdrawable;
    if (!answer.final) watch(fresh, Math.min(wait * 1.5, LONGEST_WAIT_MS));
  }, wait);
}

for (const row of document.querySelectorAll("tr[data-withdrawal][data-watch]")) {
  watch(row, FIRST_ASK_MS);
}
