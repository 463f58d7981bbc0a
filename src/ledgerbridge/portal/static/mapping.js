// Conveniences for the mapping editor; the form works the same without them.
// A rule marked for removal is dimmed, and leaving the page with unsaved changes asks first.
(function () {
  "use strict";
  var form = document.getElementById("mapping-form");
  if (!form) { return; }
  var dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function (e) {
    dirty = true;
    var box = e.target;
    if (box.type === "checkbox" && /-remove$/.test(box.name)) {
      var row = box.closest(box.name.indexOf("-m") > 0 && /-m\d+-remove$/.test(box.name) ? ".pair" : "tr");
      if (row) { row.style.opacity = box.checked ? "0.5" : ""; }
    }
  });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (e) {
    if (dirty) { e.preventDefault(); e.returnValue = ""; }
  });
})();
