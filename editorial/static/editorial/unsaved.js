// Warn before leaving the answer page with typing that is not saved yet. The workflow
// controls outside the form belong to it (form="answer_form"), so they count too.
(function () {
  "use strict";
  var form = document.getElementById("answer_form");
  if (!form) {
    return;
  }
  // A page shown again after a refused save still holds unsaved typing.
  // (Not a claim's refused settlement: the answer's own text was not typed in then.)
  var dirty =
    document.querySelector("#answer_form .errornote, .errorlist, .stale-diff:not(.claim-stale)") !==
    null;
  var leaving = false;
  function touched() {
    dirty = true;
  }
  form.addEventListener("input", touched);
  document.querySelectorAll('[form="answer_form"]').forEach(function (control) {
    control.addEventListener("input", touched);
  });
  form.addEventListener("submit", function () {
    leaving = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
