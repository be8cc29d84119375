/* A copy button on every code block: it copies the code's text only (not
   the language label, not the button), and says so where a screen reader
   hears it. Without JavaScript the page simply has no buttons. */
(function () {
  "use strict";

  var blocks = document.querySelectorAll(".highlight[data-language]");
  if (!blocks.length) return;

  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  document.body.appendChild(status);

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Pages served over plain HTTP from another host: the old way.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var copied = document.execCommand("copy");
      area.remove();
      (copied ? resolve : reject)();
    });
  }

  blocks.forEach(function (block) {
    var code = block.querySelector("pre > code");
    var region = block.querySelector("pre");
    if (!code || !region) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy " + region.getAttribute("aria-label"));
    button.addEventListener("click", function () {
      copyText(code.textContent).then(
        function () {
          button.textContent = "Copied";
          status.textContent = "Copied " + region.getAttribute("aria-label");
        },
        function () {
          button.textContent = "Copy failed";
          status.textContent = "Could not copy; select the code and copy it";
        }
      );
      setTimeout(function () { button.textContent = "Copy"; }, 2000);
    });
    block.appendChild(button);
  });
})();
