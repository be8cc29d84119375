// The search page: Pagefind's UI, served from the site's own pagefind/
// folder (written by the index at build time), started with the words of
// ?q= (the header box's form) and keeping ?q= in step with what is typed,
// so that a search can be bookmarked and Back returns to it.
(function () {
  "use strict";
  var root = document.getElementById("search");
  if (!root || typeof PagefindUI === "undefined") return;
  var params = new URLSearchParams(window.location.search);
  var ui = new PagefindUI({
    element: "#search",
    // Result links are made from this path: the site may live below "/".
    baseUrl: new URL(root.dataset.siteUrl, window.location.href).pathname,
    showImages: false,
    showSubResults: true,
    resetStyles: true,
    processTerm: function (term) {
      var url = new URL(window.location.href);
      if (term) url.searchParams.set("q", term);
      else url.searchParams.delete("q");
      window.history.replaceState(null, "", url);
      return term;
    },
  });
  // Pagefind names its box by a title only; give it a name of its own.
  var input = root.querySelector("input");
  if (input) input.setAttribute("aria-label", "Search the blog");
  var query = params.get("q");
  if (query) ui.triggerSearch(query);
})();
