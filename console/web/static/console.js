// The staff console's only script (served as /static/console.js; CSP script-src 'self').
// Progressive enhancement: everything works without it.
//
// 障害通知 (OPS-1), on every page of a role holding the menu (id="alarm-banner"):
//   - sounds the alarm while alarms wait for acknowledgement: a falling three-tone call for a
//     critical one, two softer tones otherwise, again every 15 seconds until staff acknowledge;
//   - asks data-poll-url every 10 seconds for {"unacknowledged":N,"critical":M} and updates the
//     banner in place (never reloads: a clerk may be typing), sounding at once when N rises.
// A browser that blocks sound until the page is touched plays it at the first click or key.
//
// Pages that keep themselves current (<main data-refresh="SECONDS">: ホーム, 障害通知): fetches the
// page again (with ?poll, which is not activity) and replaces <main>'s content when it changed;
// never a reload or a meta refresh (WCAG 2.2.1). Focus inside <main> is put back on the element
// of the same id or name when there is one.
//
// The QR import screen (ISS-1, ISS-2): on a page with id="qr-import" it
//   - asks data-poll-url every second for {"version":N} and reloads the page when a new code
//     was read (the scanner's reads arrive at the server, not in the browser);
//   - plays a sound for the codes read since the last page this tab showed: a short high beep
//     when every one was accepted (data-cue="accepted"), a distinct low double buzz when one
//     was refused (data-cue="refused"). Chromium at the counter runs with
//     --autoplay-policy=no-user-gesture-required so the sound plays without a click.
(function () {
  'use strict';
  // Once per page, even where a page links the script itself as well as the layout.
  if (window.madoguchiConsole) return;
  window.madoguchiConsole = true;

  function tone(ctx, start, freq, length, type, volume) {
    var osc = ctx.createOscillator();
    var gain = ctx.createGain();
    osc.type = type;
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(volume, start + 0.01);
    gain.gain.setValueAtTime(volume, start + length - 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    osc.connect(gain);
    gain.connect(ctx.destination);
    osc.start(start);
    osc.stop(start + length + 0.02);
  }

  // Plays `notes(ctx, t)`; when the browser keeps the context suspended (no gesture yet), once
  // more at the first click or key press.
  function playNotes(notes, seconds) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    var ctx;
    try {
      ctx = new Ctx();
    } catch (e) {
      return;
    }
    function go() {
      notes(ctx, ctx.currentTime + 0.05);
      window.setTimeout(function () {
        ctx.close();
      }, seconds * 1000);
    }
    if (ctx.state === 'suspended' && ctx.resume) {
      ctx.resume().then(function () {
        if (ctx.state === 'running') go();
      });
      var later = function () {
        document.removeEventListener('click', later, true);
        document.removeEventListener('keydown', later, true);
        if (ctx.state !== 'running' && ctx.state !== 'closed') ctx.resume().then(go);
      };
      document.addEventListener('click', later, true);
      document.addEventListener('keydown', later, true);
      return;
    }
    go();
  }

  alarmWatch();
  liveMain();
  qrImport();

  function liveMain() {
    var main = document.getElementById('main');
    var seconds = main ? Number(main.getAttribute('data-refresh')) || 0 : 0;
    if (seconds <= 0 || !window.fetch || !window.DOMParser) return;
    window.setInterval(function () {
      var url = new URL(window.location.href);
      url.searchParams.set('poll', '1');
      window
        .fetch(url.toString(), { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) {
          var type = r.headers.get('Content-Type') || '';
          return r.ok && !r.redirected && type.indexOf('text/html') === 0 ? r.text() : null;
        })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('main');
          if (!fresh || fresh.isEqualNode(main)) return;
          var active = document.activeElement;
          var key = active && main.contains(active) ? active.id || active.getAttribute('name') : null;
          // Nodes, not markup: the fresh page's elements are adopted as they are.
          main.replaceChildren.apply(main, Array.prototype.map.call(fresh.childNodes, function (n) {
            return document.importNode(n, true);
          }));
          if (key) {
            var again = document.getElementById(key) || main.querySelector('[name="' + key + '"]');
            if (again) again.focus();
          }
        })
        .catch(function () {});
    }, Math.max(1, seconds) * 1000);
  }

  function alarmWatch() {
    var banner = document.getElementById('alarm-banner');
    if (!banner) return;
    var pollUrl = banner.getAttribute('data-poll-url') || '';
    var count = Number(banner.getAttribute('data-count')) || 0;
    var critical = banner.classList.contains('alarm-banner--critical');
    var countText = banner.querySelector('.alarm-count');
    var repeatMs = 15000;
    var last = 0;

    function call() {
      if (count === 0) return;
      last = Date.now();
      if (critical) {
        playNotes(function (ctx, t) {
          for (var i = 0; i < 2; i++) {
            tone(ctx, t + i * 1.2, 988, 0.3, 'square', 0.2);
            tone(ctx, t + i * 1.2 + 0.35, 784, 0.3, 'square', 0.2);
            tone(ctx, t + i * 1.2 + 0.7, 587, 0.4, 'square', 0.2);
          }
        }, 3.5);
      } else {
        playNotes(function (ctx, t) {
          tone(ctx, t, 880, 0.25, 'sine', 0.3);
          tone(ctx, t + 0.4, 880, 0.25, 'sine', 0.3);
        }, 1.5);
      }
    }
    call();
    window.setInterval(function () {
      if (Date.now() - last >= repeatMs - 200) call();
    }, 1000);

    if (!pollUrl || !window.fetch) return;
    window.setInterval(function () {
      window
        .fetch(pollUrl, { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) {
          var type = r.headers.get('Content-Type') || '';
          return r.ok && !r.redirected && type.indexOf('application/json') === 0 ? r.json() : null;
        })
        .then(function (body) {
          if (!body || typeof body.unacknowledged !== 'number') return;
          var rising = body.unacknowledged > count;
          count = body.unacknowledged;
          critical = body.critical > 0;
          if (countText) countText.textContent = String(count);
          banner.hidden = count === 0;
          if (critical) banner.classList.add('alarm-banner--critical');
          else banner.classList.remove('alarm-banner--critical');
          if (rising) call();
        })
        .catch(function () {});
    }, 10000);
  }

  function qrImport() {
    var root = document.getElementById('qr-import');
    if (!root) return;
    var version = Number(root.getAttribute('data-version')) || 0;
    var cue = root.getAttribute('data-cue') || '';
    var pollUrl = root.getAttribute('data-poll-url') || '';
    var storageKey = 'madoguchi.qr-import.heard';

    function play(kind) {
      playNotes(function (ctx, t) {
        if (kind === 'refused') {
          tone(ctx, t, 160, 0.25, 'square', 0.25);
          tone(ctx, t + 0.35, 160, 0.25, 'square', 0.25);
        } else if (kind === 'accepted') {
          tone(ctx, t, 1760, 0.12, 'sine', 0.3);
        }
      }, 1.5);
    }

    // The sound for what is new since this tab last showed the page (not on the first visit).
    var heard = null;
    try {
      heard = window.sessionStorage.getItem(storageKey);
      window.sessionStorage.setItem(storageKey, String(version));
    } catch (e) {
      heard = null;
    }
    if (heard !== null && Number(heard) < version && (cue === 'accepted' || cue === 'refused')) play(cue);

    if (!pollUrl || !window.fetch) return;
    var busy = false;
    window.setInterval(function () {
      if (busy) return;
      busy = true;
      window
        .fetch(pollUrl, { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) {
          // Signed out meanwhile (idle timeout): the poll was sent to the sign-in page. Reload, so
          // the clerk sees it instead of a screen that no longer updates.
          var type = r.headers.get('Content-Type') || '';
          if (r.redirected || r.status === 403 || (r.ok && type.indexOf('application/json') !== 0)) {
            window.location.reload();
            return null;
          }
          return r.ok ? r.json() : null;  // a passing error (503): try again in a second
        })
        .then(function (body) {
          busy = false;
          if (body && typeof body.version === 'number' && body.version !== version) window.location.reload();
        })
        .catch(function () {
          busy = false;
        });
    }, 1000);
  }
})();
