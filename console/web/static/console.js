// The staff console's only script (served as /static/console.js; CSP script-src 'self').
// Progressive enhancement for the QR import screen (ISS-1, ISS-2): everything works without it.
// On a page with id="qr-import" it
//   - asks data-poll-url every second for {"version":N} and reloads the page when a new code
//     was read (the scanner's reads arrive at the server, not in the browser);
//   - plays a sound for the codes read since the last page this tab showed: a short high beep
//     when every one was accepted (data-cue="accepted"), a distinct low double buzz when one
//     was refused (data-cue="refused"). Chromium at the counter runs with
//     --autoplay-policy=no-user-gesture-required so the sound plays without a click.
(function () {
  'use strict';
  var root = document.getElementById('qr-import');
  if (!root) return;
  var version = Number(root.getAttribute('data-version')) || 0;
  var cue = root.getAttribute('data-cue') || '';
  var pollUrl = root.getAttribute('data-poll-url') || '';
  var storageKey = 'madoguchi.qr-import.heard';

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

  function play(kind) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    var ctx;
    try {
      ctx = new Ctx();
    } catch (e) {
      return;
    }
    var t = ctx.currentTime + 0.05;
    if (kind === 'refused') {
      tone(ctx, t, 160, 0.25, 'square', 0.25);
      tone(ctx, t + 0.35, 160, 0.25, 'square', 0.25);
    } else if (kind === 'accepted') {
      tone(ctx, t, 1760, 0.12, 'sine', 0.3);
    }
    window.setTimeout(function () {
      ctx.close();
    }, 1500);
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
})();
