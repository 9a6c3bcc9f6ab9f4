/* The main navigation on a phone: one menu button shows and hides the grouped links.
   Served by the platform (the CSP allows no inline script). Without this script the
   button stays hidden and every link is shown; on a wide screen CSS hides the button. */
(function () {
  "use strict";
  var nav = document.querySelector("nav.main-nav");
  var button = nav && nav.querySelector(".nav-toggle");
  if (!button) return;

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("is-open", open);
  }

  nav.classList.add("has-toggle");
  button.hidden = false;
  setOpen(false);
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  // Escape closes the open menu and gives the focus back to its button.
  nav.addEventListener("keydown", function (event) {
    var folding = window.getComputedStyle(button).display !== "none";
    if (event.key === "Escape" && folding && nav.classList.contains("is-open")) {
      setOpen(false);
      button.focus();
    }
  });
})();
