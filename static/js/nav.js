// The tab row under the header: when its tabs do not fit, it scrolls sideways. Mark
// which edges hide tabs (app.css fades them and shows a chevron) and bring the current
// tab into view. A file, not inline, for the Content-Security-Policy.
(function () {
  "use strict";

  function setUp() {
    var wrap = document.getElementById("main-nav-wrap");
    if (!wrap) return;
    var nav = wrap.querySelector(".main-nav");

    function mark() {
      var hidden = nav.scrollWidth - nav.clientWidth;
      wrap.classList.toggle("scrolls", hidden > 1);
      wrap.classList.toggle("more-left", nav.scrollLeft > 1);
      wrap.classList.toggle("more-right", nav.scrollLeft < hidden - 1);
    }

    var current = nav.querySelector('[aria-current="page"]');
    if (current) {
      var left = current.offsetLeft - nav.offsetLeft;
      var right = left + current.offsetWidth;
      var margin = 40; // clear of the faded edge
      if (right > nav.clientWidth - margin) {
        nav.style.scrollBehavior = "auto";
        nav.scrollLeft = right - nav.clientWidth + margin;
        nav.style.scrollBehavior = "";
      }
    }
    mark();
    nav.addEventListener("scroll", mark, { passive: true });
    window.addEventListener("resize", mark);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
