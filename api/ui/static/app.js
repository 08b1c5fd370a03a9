// qinglang web UI: htmx settings, review and decisions keyboard shortcuts, audio seek (from the
// flagged second, or a stream segment's time), copy to clipboard.
(function () {
  "use strict";
  if (window.htmx) {
    // Swap 4xx answers too: they carry the page's own error message (e.g. a dismissal without reason).
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "4..", swap: true, error: false },
      // 503 too: a refusal for now (live rooms not running, speech model missing), with its reason.
      { code: "503", swap: true, error: false },
      { code: "...", swap: false, error: true },
    ];
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // Start each recording at the flagged second (the #t= fragment does it too where supported).
  function seek(root) {
    (root || document).querySelectorAll("audio[data-start]").forEach(function (audio) {
      var start = parseFloat(audio.dataset.start) || 0;
      var go = function () {
        if (Math.abs(audio.currentTime - start) > 0.25) audio.currentTime = start;
      };
      if (audio.readyState >= 1) go();
      else audio.addEventListener("loadedmetadata", go, { once: true });
    });
  }

  function markSelected() {
    var shown = document.querySelector("#detail article.flag");
    document.querySelectorAll(".flag-item").forEach(function (item) {
      item.classList.toggle("selected", !!shown && item.dataset.flagId === shown.dataset.flagId);
    });
  }

  function move(step) {
    var items = Array.prototype.slice.call(document.querySelectorAll(".flag-item"));
    if (!items.length) return;
    var at = items.findIndex(function (item) { return item.classList.contains("selected"); });
    var next = at < 0 ? 0 : Math.min(items.length - 1, Math.max(0, at + step));
    if (next !== at) items[next].click();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var help = document.getElementById("shortcuts");
    if (event.key === "?" && help) {
      if (help.open) help.close(); else help.showModal();
      event.preventDefault();
      return;
    }
    // Pending decisions: 1/2/3 go to a section and put the cursor in its first reason field.
    var section = /^[1-9]$/.test(event.key)
      ? document.querySelector('.decision-section[data-key="' + event.key + '"]')
      : null;
    if (section) {
      section.scrollIntoView();
      var note = section.querySelector("textarea.decision-note");
      if (note) note.focus();
      event.preventDefault();
      return;
    }
    if (!document.getElementById("queue")) return;
    if (event.key === "j") move(1);
    else if (event.key === "k") move(-1);
    else if (event.key === "c") {
      var confirmForm = document.getElementById("confirm-form");
      if (confirmForm) confirmForm.requestSubmit();
    } else if (event.key === "d") {
      var reason = document.getElementById("dismiss-reason");
      if (!reason) return;
      if (reason.value.trim()) document.getElementById("dismiss-form").requestSubmit();
      else reason.focus();
    } else return;
    event.preventDefault();
  });

  // A click pins a highlight's explanation open (for touch screens); hover and focus show it too.
  document.addEventListener("click", function (event) {
    var mark = event.target.closest("mark.hit[tabindex]");
    document.querySelectorAll("mark.hit.pinned").forEach(function (other) {
      if (other !== mark) other.classList.remove("pinned");
    });
    if (mark) mark.classList.toggle("pinned");

    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.dataset.copy);
    var status = document.getElementById("copy-status");
    var text = "value" in source ? source.value : source.textContent;
    var done = function () { if (status) status.textContent = "已复制 / copied"; };
    var fallback = function () {
      source.select();
      if (document.execCommand("copy")) done();
      else if (status) status.textContent = "请手动复制 / copy by hand (Ctrl+C)";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else fallback();
  });

  // Stream page: a segment's time plays the recording from there; the segment playing is marked.
  function seekTo(seconds) {
    var player = document.getElementById("player");
    if (!player) return;
    var go = function () {
      player.currentTime = seconds;
      var playing = player.play();
      if (playing && playing.catch) playing.catch(function () {});
    };
    if (player.readyState >= 1) go();
    else player.addEventListener("loadedmetadata", go, { once: true });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-seek]");
    if (button) seekTo(parseFloat(button.dataset.seek) || 0);
  });

  var streamPlayer = document.querySelector("#transcript") && document.getElementById("player");
  if (streamPlayer) {
    streamPlayer.addEventListener("timeupdate", function () {
      var now = streamPlayer.currentTime;
      document.querySelectorAll("#transcript li.seg").forEach(function (line) {
        var on = now >= parseFloat(line.dataset.start) && now < parseFloat(line.dataset.end);
        line.classList.toggle("playing", on);
      });
    });
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    seek(event.target);
    markSelected();
  });
  seek();
  markSelected();
})();
