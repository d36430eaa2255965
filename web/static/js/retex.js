/* Retex: small progressive enhancements. Every page works without this file (and without htmx). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Publish form: "Ajouter" next to a territory found by the finder appends its code to the field.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-add-code]") : null;
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-add-to"));
    if (!field) return;
    var code = button.getAttribute("data-add-code");
    var codes = field.value.split(/[\s,;]+/).filter(Boolean);
    if (codes.indexOf(code) === -1) codes.push(code);
    field.value = codes.join(", ");
    button.disabled = true;
    button.textContent = "Ajouté";
  });

  // After a failed submission, bring keyboard and screen-reader users to the list of errors.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
