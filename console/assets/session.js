/* Session lock in the browser: a callback answered 401 (the session ended or was locked)
 * sends the page to the sign-in form, which returns here afterwards. The server ends a
 * session idle for GD_IDLE_LOCK_MIN; this only makes the page follow at once.
 * A 503 (the database is away) shows the "reconnecting" banner; the next answer hides it. */
(function () {
  if (window.location.pathname === "/login" || !window.fetch) { return; }
  var original = window.fetch;
  var leaving = false;
  window.fetch = function () {
    return original.apply(this, arguments).then(function (response) {
      var gd = window.griddispatch;
      if (gd && gd.dbBanner && String(response.url).indexOf("/_dash-update-component") >= 0) {
        gd.dbBanner(response.status === 503);
      }
      if (response.status === 401 && !leaving) {
        leaving = true;
        var here = window.location.pathname + window.location.search;
        window.location.assign("/login?next=" + encodeURIComponent(here));
      }
      return response;
    });
  };
})();
