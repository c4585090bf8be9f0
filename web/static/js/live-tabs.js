// The live auction panel (#live) in any number of tabs over one connection. A browser keeps at most six
// connections per host over HTTP/1.1: with one event stream per tab, the seventh tab (and every other page of the
// site) would wait for ever. So the tabs elect a leader (Web Locks): it alone holds one EventSource on
// /lots/live for all the lots the tabs show (the server's stream of several lots) and relays each event to the
// other tabs over a BroadcastChannel. When the leader closes, the next tab in the lock's queue takes over. A hidden
// tab stops asking for its lot and, shown again, gets the lot's latest state at once.
// Without Web Locks or BroadcastChannel each tab keeps a stream of its own, as before, but only while it is shown.
(function () {
  "use strict";
  const CHANNEL = "achyk-live";
  const LOCK = "achyk-live-leader";
  const MAX_SHARED_LOTS = 20; // web/bidding/live.py: MAX_SHARED_LOTS
  const tab = Math.random().toString(36).slice(2) + Date.now().toString(36);

  // Read #live afresh each time: a change of the lot's state reloads the page's main region, #live with it.
  function panel() {
    const live = document.getElementById("live");
    return live && live.dataset.liveLot ? live : null;
  }
  if (!panel() || !window.htmx || !window.EventSource) return;
  const shared = panel().dataset.liveShared; // the shared stream in this page's language, without its lots

  function swapIn(live, html) {
    // countdown.js takes the fresh server time from htmx:afterSwap, as for htmx's own swaps.
    htmx.swap(live, html, { swapStyle: "innerHTML", swapDelay: 0, settleDelay: 0 });
  }

  // One stream for this tab alone: the fallback, and the lot of a tab beyond the shared stream's bound.
  // Its fragments reload the page themselves when the state changes (the stream knows the state shown).
  let own = null;
  let ownUrl = null;
  function ownStream(wanted) {
    const live = panel();
    const url = wanted && live && !document.hidden ? live.dataset.liveStream : null;
    if (url === ownUrl) return;
    if (own) own.close();
    own = null;
    ownUrl = url;
    if (!url) return;
    own = new EventSource(url);
    own.addEventListener("state", function (event) {
      const current = panel();
      if (current) swapIn(current, event.data);
    });
    own.addEventListener("end", function () {
      own.close(); // the lot is decided: nothing more will come, and EventSource would reconnect
    });
  }

  if (!navigator.locks || !window.BroadcastChannel) {
    const follow = function () { ownStream(true); };
    document.addEventListener("visibilitychange", follow);
    document.addEventListener("htmx:afterSettle", follow);
    follow();
    return;
  }

  const channel = new BroadcastChannel(CHANNEL);
  let reloading = false;

  // A state of some lot, from the leader: show it if it is this tab's lot, and reload the page's main region when
  // the state is no longer the one the page shows (what the page offers changes with it).
  function receive(message) {
    const live = panel();
    if (!live || Number(live.dataset.liveLot) !== message.lot || (message.to && message.to !== tab)) return;
    swapIn(live, message.html);
    if (message.state !== live.dataset.liveShown && !reloading) {
      reloading = true;
      htmx.ajax("GET", live.dataset.livePage, { target: "#main", select: "#main", swap: "outerHTML" })
        .finally(function () { reloading = false; });
    }
  }

  // The lot this tab asks for: none while hidden, or once its page no longer has a live panel.
  function wanted() {
    const live = panel();
    return live && !document.hidden ? Number(live.dataset.liveLot) : null;
  }

  let leader = null; // set in the leading tab only
  let beyond = []; // the lots past the shared stream's bound, as the leader last said: their tabs stream alone

  function announce() {
    const message = { type: "watch", tab: tab, lot: wanted() };
    channel.postMessage(message);
    if (leader) leader.watch(message);
    ownStream(beyond.indexOf(wanted()) >= 0);
  }

  channel.onmessage = function (event) {
    const message = event.data;
    if (message.type === "state") receive(message);
    else if (message.type === "hello") announce();
    else if (message.type === "beyond") {
      beyond = message.lots;
      ownStream(beyond.indexOf(wanted()) >= 0);
    } else if (leader && message.type === "watch") leader.watch(message);
  };

  function unstamped(html) {
    return html.replace(/ data-server-now="[^"]*"/, "");
  }

  function lead() {
    const tabs = new Map(); // tab -> the lot it asks for
    const last = new Map(); // lot -> its latest state event, for a tab that comes (back) to it
    const ended = new Set(); // decided lots: the server has nothing more to say about them
    let source = null;
    let key = "";
    let timer = null;

    function relay(message) {
      channel.postMessage(message);
      receive(message);
    }

    function reconnect() {
      timer = null;
      const all = Array.from(new Set(tabs.values())).filter(function (lot) { return !ended.has(lot); });
      all.sort(function (a, b) { return a - b; });
      const lots = all.slice(0, MAX_SHARED_LOTS);
      const next = lots.join(",");
      if (all.length > MAX_SHARED_LOTS || beyond.length) {
        beyond = all.slice(MAX_SHARED_LOTS);
        channel.postMessage({ type: "beyond", lots: beyond });
        ownStream(beyond.indexOf(wanted()) >= 0);
      }
      if (next === key) return;
      key = next;
      if (source) source.close();
      source = null;
      last.forEach(function (_, lot) { if (lots.indexOf(lot) < 0) last.delete(lot); });
      if (!lots.length) return;
      source = new EventSource(shared + lots.map(function (lot) { return "&lot=" + lot; }).join(""));
      source.addEventListener("state", function (event) {
        const message = JSON.parse(event.data);
        message.type = "state";
        const before = last.get(message.lot);
        last.set(message.lot, message);
        // A new stream (a tab came or went) starts with every lot's state: what the tabs show already is not
        // swapped in again, so that screen readers do not read the panel out again.
        if (!before || unstamped(before.html) !== unstamped(message.html)) relay(message);
      });
      source.addEventListener("end", function (event) {
        ended.add(JSON.parse(event.data).lot);
        schedule();
      });
    }

    function schedule() {
      // Tabs answer a hello within moments of each other: one new stream for all of them.
      if (timer === null) timer = setTimeout(reconnect, 50);
    }

    leader = {
      watch: function (message) {
        const before = tabs.get(message.tab);
        if (message.lot === null) tabs.delete(message.tab);
        else tabs.set(message.tab, message.lot);
        // A tab that comes back to a lot the stream already carries gets its latest state now.
        const known = message.lot !== null && last.get(message.lot);
        if (known && before !== message.lot) {
          const replay = Object.assign({}, known, { to: message.tab });
          if (message.tab === tab) receive(replay);
          else channel.postMessage(replay);
        }
        schedule();
      },
    };
    channel.postMessage({ type: "hello" });
    announce();
  }

  // The lock is held for as long as this tab lives (the promise never settles); the browser hands it to the next
  // tab waiting for it when this one closes or crashes.
  navigator.locks.request(LOCK, function () {
    lead();
    return new Promise(function () {});
  });

  document.addEventListener("visibilitychange", announce);
  // A reloaded main region may show another state, or no live panel any more (the lot is decided).
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "main") announce();
  });
  window.addEventListener("pagehide", function () {
    channel.postMessage({ type: "watch", tab: tab, lot: null });
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) announce();
  });
  announce();
})();
