// Warn before leaving the answer page with typing that is not saved yet. The workflow
// controls outside the form belong to it (form="answer_form"), so they count too; events are
// read on the document, so a page shown in place (workspace.js) is watched the same way.
(function () {
  "use strict";
  var dirty = false;
  var leaving = false;
  function shown() {
    // A page shown again after a refused save still holds unsaved typing.
    // (Not a claim's refused settlement: the answer's own text was not typed in then.)
    dirty =
      document.querySelector("#answer_form .errornote, .errorlist, .stale-diff:not(.claim-stale)") !==
      null;
    leaving = false;
  }
  function ours(element) {
    return element && element.form && element.form.id === "answer_form";
  }
  document.addEventListener("input", function (event) {
    if (ours(event.target)) {
      dirty = true;
    }
  });
  document.addEventListener("submit", function (event) {
    if (event.target.id === "answer_form") {
      leaving = true;
    }
  });
  document.addEventListener("editorial:page-shown", shown);
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving && document.getElementById("answer_form")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  shown();
})();
