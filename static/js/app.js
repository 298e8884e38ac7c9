// Small progressive enhancements; no inline scripts anywhere (Content-Security-Policy friendly).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("select[data-autosubmit]")) el.form.requestSubmit();
});
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
// Partner search (請求書 tab): the box, the hidden partner fields and the 選択中 hint always name one partner.
// Choosing a result fills all three; typing in the box un-chooses, so 発行 cannot go to a partner no longer shown
// (the server refuses text that was not chosen as well).
function showChosenPartner(name) {
  const hint = document.getElementById("partner-chosen");
  if (hint) hint.textContent = name ? hint.dataset.prefix + name : hint.dataset.none;
}
document.addEventListener("click", (event) => {
  const choice = event.target.closest("[data-partner-id]");
  if (!choice) return;
  document.getElementById("partner-id").value = choice.dataset.partnerId;
  document.getElementById("partner-name").value = choice.dataset.partnerName;
  document.getElementById("partner-search").value = choice.dataset.partnerName;
  showChosenPartner(choice.dataset.partnerName);
  const results = document.getElementById("partner-results");
  if (results) results.innerHTML = "";
});
document.addEventListener("input", (event) => {
  const box = event.target;
  if (!box.matches("[data-partner-box]")) return;
  const id = document.getElementById("partner-id");
  const name = document.getElementById("partner-name");
  if (id && name && box.value.trim() !== name.value.trim()) {
    id.value = "";
    name.value = "";
    showChosenPartner("");
  }
});

// Menus marked data-fold-narrow (the header's and the 設定 menu) are open in the HTML, so they work without
// JavaScript and always show on wide screens (their summary is hidden there by app.css); on a phone they start
// folded into their summary. Keep the width in step with app.css's @media (max-width: 760px).
const narrowScreen = window.matchMedia("(max-width: 760px)");
function foldMenus() {
  document.querySelectorAll("details[data-fold-narrow]").forEach((menu) => { menu.open = !narrowScreen.matches; });
}
foldMenus();  // the script is deferred: the document is parsed
narrowScreen.addEventListener("change", foldMenus);
