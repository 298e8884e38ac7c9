// Small progressive enhancements; no inline scripts anywhere (Content-Security-Policy friendly).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("select[data-autosubmit]")) el.form.requestSubmit();
});
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
// Partner search results: choosing one fills the hidden partner fields of the issue form.
document.addEventListener("click", (event) => {
  const choice = event.target.closest("[data-partner-id]");
  if (!choice) return;
  document.getElementById("partner-id").value = choice.dataset.partnerId;
  document.getElementById("partner-name").value = choice.dataset.partnerName;
  document.getElementById("partner-search").value = choice.dataset.partnerName;
  const results = document.getElementById("partner-results");
  if (results) results.innerHTML = "";
});
