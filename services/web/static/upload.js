/* Một Cửa: the progress of a file upload sent by htmx (hx-encoding="multipart/form-data").
   A form of class "upload" holds a hidden .upload-progress with a <progress>; while the
   files go up, it shows how much has gone. Without JavaScript the form posts as usual. */
(function () {
  "use strict";
  if (window.motcuaUpload) { return; }
  window.motcuaUpload = true;

  function parts(event) {
    var form = event.target && event.target.closest ? event.target.closest("form.upload") : null;
    if (!form) { return null; }
    var box = form.querySelector(".upload-progress");
    var bar = box && box.querySelector("progress");
    return bar ? { form: form, box: box, bar: bar, said: box.querySelector("[data-upload-status]") } : null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var found = parts(event);
    if (!found) { return; }
    found.box.hidden = false;
    found.bar.value = 0;
    found.form.setAttribute("aria-busy", "true");
    var button = found.form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    if (found.said) { found.said.textContent = "Đang tải tệp lên…"; }
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var found = parts(event);
    if (!found || !event.detail || !event.detail.lengthComputable || !event.detail.total) { return; }
    var percent = Math.round(event.detail.loaded * 100 / event.detail.total);
    found.bar.value = percent;
    found.bar.textContent = percent + "%";
    if (found.said && percent >= 100) { found.said.textContent = "Đã gửi xong, đang chờ hệ thống kiểm tra tệp…"; }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var found = parts(event);
    if (!found) { return; }
    found.form.removeAttribute("aria-busy");
    var button = found.form.querySelector("button[type=submit]");
    if (button) { button.disabled = false; }
  });
})();
