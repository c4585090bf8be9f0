// A commission member's pages: the key ceremony of a sealed lot and its opening (docs/keys.md 2.2 and 2.4).
// The member's secret is drawn here, saved by the member as a file, and never sent anywhere; the server only
// relays the signed public messages, and this page checks every message from the others before it uses it.
//
// The page (officer/commission_member.html.jinja2) gives a container and its words in the visitor's language:
//   <div id="commission" data-step="ceremony|opening" data-lot="7" data-member="11" data-csrf="…"
//        data-ceremony-url="/api/lots/7/ceremony" data-key-url="…" data-dealing-url="…"
//        data-acknowledgement-url="…" data-opening-url="…" data-shares-url="…">
//     <script type="application/json" data-strings>{"create_key": "…", …}</script>
//   </div>
// A POST URL not given is its GET URL followed by /key, /dealing, /acknowledgement or /shares. Requests carry
// the session cookie and the CSRF token in x-csrftoken, as the relay asks of a browser.
import * as dkg from "./dkg.js";
import { b64uEncode, baseMul, hexEncode, pointFromB64u, sha256 } from "./group.js";

const POLL_MS = 2000;

// English; the template's data-strings (gettext, ky/ru/en) replace them. {name} is filled in.
const WORDS = {
  not_member: "You are not a member of this lot's commission.",
  create_key: "Create my key",
  load_key: "Load my key file",
  download_again: "Download my key file again",
  keys_create: "Create your key. Your browser makes it and offers it as a file: keep that file safe, you need it to open the bids. Nobody else, the platform included, ever has it.",
  keys_saved: "Save the key file when your browser asks. It is the only copy.",
  keys_waiting: "Your key is posted. Waiting for the other members' keys ({have} of {n}).",
  need_key_file: "Load the key file you saved for this lot to go on.",
  key_loaded: "Your key file is loaded.",
  dealing: "Dealing your shares of the lot key to the other members…",
  dealing_waiting: "Your shares are dealt. Waiting for the other members ({have} of {n}).",
  acknowledging: "Checking the shares dealt to you…",
  ack_waiting: "You checked your shares. Waiting for the other members ({have} of {n}).",
  complained: "The share dealt to you by member {dealers} does not hold: you complained, and the ceremony stops.",
  complete: "The lot key is ready and checked. Its fingerprint: {fingerprint}.",
  failed: "The ceremony stopped: member {who} found a bad share from member {dealers}. The officer restarts it with new keys.",
  bad_message: "Something this page was given does not check: {reason}. Tell the officer.",
  server_refused: "The platform refused: {reason}",
  network: "Cannot reach the platform; trying again.",
  opening_not_closed: "The bidding has not closed yet. Come back after the close.",
  opening_load: "Load your key file to release your decryption shares.",
  opening_computing: "Computing your decryption shares…",
  opening_posted: "Your decryption shares are released ({have} of the {k} needed).",
  opening_ready: "Enough members have released their shares ({have} of {k}): the bids can be opened.",
  opened: "The bids are opened.",
  bad_share: "Member {member}'s decryption share does not hold: {reason}",
  th_member: "Member",
  th_key: "Key",
  th_dealt: "Dealt",
  th_checked: "Checked",
  th_released: "Released",
  you: "(you)",
  yes: "yes",
  no: "—",
};

function words(root) {
  const node = root.querySelector("script[data-strings]");
  let given = {};
  try {
    given = node ? JSON.parse(node.textContent) : {};
  } catch {
    given = {};
  }
  return (key, params = {}) =>
    (given[key] || WORDS[key] || key).replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

// The token is bound to the session and printed in the page; the csrftoken cookie holds only the token of
// anonymous forms, which the relay refuses from a signed-in browser, so it is no fallback.
function csrfToken() {
  const given = document.querySelector("#commission[data-csrf], [data-commission][data-csrf]");
  if (given && given.dataset.csrf) return given.dataset.csrf;
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";
  } catch {
    return "";
  }
}

class Refused extends Error {}

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } });
  if (!response.ok) throw new Refused(await problem(response));
  return response.json();
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "application/json", "x-csrftoken": csrfToken() },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Refused(await problem(response));
  return response.json();
}

async function problem(response) {
  try {
    const body = await response.json();
    return body.message || `${response.status}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

// The stylesheet gives buttons a display of their own, which would override the hidden attribute alone.
function show(node, visible) {
  node.hidden = !visible;
  node.style.display = visible ? "" : "none";
}

/** The parts both pages share: a status line, the key buttons and file input, a member table. */
class MemberPage {
  constructor(root) {
    this.root = root;
    this.t = words(root);
    this.lot = Number(root.dataset.lot);
    this.member = Number(root.dataset.member);
    const urls = root.dataset;
    this.ceremonyUrl = urls.ceremonyUrl;
    this.openingUrl = urls.openingUrl;
    this.urls = {
      key: urls.keyUrl || `${urls.ceremonyUrl}/key`,
      dealing: urls.dealingUrl || `${urls.ceremonyUrl}/dealing`,
      acknowledgement: urls.acknowledgementUrl || `${urls.ceremonyUrl}/acknowledgement`,
      shares: urls.sharesUrl || `${urls.openingUrl}/shares`,
    };
    this.secret = null; // the member secret, in this page's memory only
    this.keyFile = null;
    this.publishedKey = null; // the public key the relay has for this member
    this.busy = false;
    this.stopped = false;

    this.status = element("p", { class: "commission-status", role: "status", "aria-live": "polite", "data-role": "status" });
    this.problem = element("p", { class: "notice notice-error", "data-role": "problem", role: "alert" });
    show(this.problem, false);
    this.createButton = element("button", { type: "button", class: "button", "data-role": "create-key" }, this.t("create_key"));
    show(this.createButton, false);
    this.fileLabel = element("label", { class: "button secondary", "data-role": "load-key" }, this.t("load_key"));
    // The label is the button; the input stays reachable by keyboard and screen readers.
    this.fileInput = element("input", {
      type: "file",
      accept: "application/json,.json",
      class: "visually-hidden",
      "data-role": "key-file",
    });
    this.fileLabel.append(this.fileInput);
    show(this.fileLabel, false);
    this.download = element("a", { "data-role": "download-key" }, this.t("download_again"));
    show(this.download, false);
    this.table = element("table", { class: "lots-table commission-members", "data-role": "members" });
    const actions = element("p", { class: "actions" });
    actions.append(this.createButton, this.fileLabel, this.download);
    root.append(this.status, this.problem, actions, this.table);

    this.fileInput.addEventListener("change", () => this.loadFile());
  }

  say(key, params) {
    this.status.textContent = this.t(key, params);
    this.root.dataset.state = key;
  }

  complain(key, params) {
    this.problem.textContent = this.t(key, params);
    show(this.problem, true);
    this.root.dataset.problem = key;
  }

  clearProblem() {
    show(this.problem, false);
    delete this.root.dataset.problem;
  }

  async loadFile() {
    const file = this.fileInput.files && this.fileInput.files[0];
    if (!file) return;
    try {
      this.secret = dkg.readKeyFile(await file.text(), this.lot, this.member, this.publishedKey);
      this.clearProblem();
      show(this.fileLabel, false);
      this.say("key_loaded");
      this.root.dataset.keyLoaded = "true";
    } catch (error) {
      this.complain("bad_message", { reason: error.message });
    } finally {
      this.fileInput.value = "";
    }
    this.tick();
  }

  renderTable(rows, columns) {
    const head = element("tr");
    for (const column of ["th_member", ...columns]) head.append(element("th", { scope: "col" }, this.t(column)));
    const body = rows.map((row) => {
      const tr = element("tr", { "data-member": String(row.member) });
      tr.append(element("td", {}, `${row.member}${row.member === this.member ? ` ${this.t("you")}` : ""}`));
      for (const value of row.values) tr.append(element("td", {}, this.t(value ? "yes" : "no")));
      return tr;
    });
    this.table.replaceChildren(element("thead"), element("tbody"));
    this.table.tHead.append(head);
    this.table.tBodies[0].append(...body);
  }

  start() {
    const loop = async () => {
      if (this.stopped) return;
      await this.tick();
      if (!this.stopped) this.timer = setTimeout(loop, POLL_MS);
    };
    loop();
  }

  async tick() {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.step();
    } catch (error) {
      if (error instanceof dkg.CeremonyError) {
        this.complain("bad_message", { reason: error.message });
      } else if (error instanceof Refused) {
        this.complain("server_refused", { reason: error.message });
      } else if (error instanceof TypeError) {
        this.complain("network");
      } else {
        this.complain("bad_message", { reason: String(error && error.message) });
      }
    } finally {
      this.busy = false;
    }
  }
}

class CeremonyPage extends MemberPage {
  constructor(root) {
    super(root);
    this.createButton.addEventListener("click", () => this.createKey());
  }

  async createKey() {
    this.createButton.disabled = true;
    this.creating = true;
    try {
      const made = await dkg.createMemberKey(this.lot, this.member);
      this.secret = made.secret;
      this.offerFile(made.file);
      this.say("keys_saved");
      await postJson(this.urls.key, made.message);
      this.publishedKey = made.message.public_key;
      show(this.createButton, false);
      this.clearProblem();
    } catch (error) {
      this.secret = null;
      this.complain(error instanceof Refused ? "server_refused" : "bad_message", { reason: error.message });
      this.createButton.disabled = false;
    } finally {
      this.creating = false;
    }
    this.tick();
  }

  offerFile(file) {
    const blob = new Blob([`${JSON.stringify(file, null, 2)}\n`], { type: "application/json" });
    if (this.download.href) URL.revokeObjectURL(this.download.href);
    this.download.href = URL.createObjectURL(blob);
    this.download.download = `achyk-commission-key-lot-${file.lot}-member-${file.member}.json`;
    show(this.download, true);
    this.download.click();
  }

  async step() {
    const c = await getJson(this.ceremonyUrl);
    this.root.dataset.stage = c.stage;
    const mine = c.members.find((m) => m.member === this.member);
    if (!mine) {
      this.say("not_member");
      this.stopped = true;
      return;
    }
    const dealt = new Set(c.dealings.map((d) => d.dealer));
    const acked = new Set(c.acknowledgements.map((a) => a.member));
    this.renderTable(
      c.members.map((m) => ({ member: m.member, values: [m.public_key !== null, dealt.has(m.member), acked.has(m.member)] })),
      ["th_key", "th_dealt", "th_checked"],
    );
    if (this.creating) return;
    // A restarted ceremony asks for new keys: a secret for an older key is of no use.
    this.publishedKey = mine.public_key;
    if (this.secret !== null && mine.public_key !== null && b64uEncode(baseMul(this.secret).toBytes()) !== mine.public_key) {
      this.secret = null;
    }
    const n = c.members.length;
    if (c.stage === "failed") {
      const complaints = c.acknowledgements.filter((a) => a.complaints.length);
      this.say("failed", {
        who: complaints.map((a) => a.member).join(", "),
        dealers: [...new Set(complaints.flatMap((a) => a.complaints))].join(", "),
      });
      // Polling goes on: when the officer restarts the ceremony, this page asks for a new key by itself.
      return;
    }
    if (mine.public_key === null) {
      if (this.root.dataset.problem === "complained") this.clearProblem();
      show(this.createButton, true);
      this.createButton.disabled = false;
      show(this.fileLabel, false);
      this.say("keys_create");
      return;
    }
    show(this.createButton, false);
    if (c.stage === "complete") {
      const joint = await dkg.checkCeremony(this.lot, c.threshold, c.members, c.dealings, c.acknowledgements, c.public_key);
      const fingerprint = hexEncode((await sha256(pointFromB64u(joint, "the lot key").toBytes())).subarray(0, 8));
      this.root.dataset.publicKey = joint;
      show(this.fileLabel, false);
      this.say("complete", { fingerprint: fingerprint.match(/..../g).join(" ") });
      this.stopped = true;
      return;
    }
    if (this.secret === null) {
      if (c.stage === "keys") {
        this.say("keys_waiting", { have: c.members.filter((m) => m.public_key !== null).length, n });
      } else {
        this.say("need_key_file");
      }
      show(this.fileLabel, true);
      return;
    }
    show(this.fileLabel, false);
    if (c.stage === "keys") {
      this.say("keys_waiting", { have: c.members.filter((m) => m.public_key !== null).length, n });
      return;
    }
    // From here on the others' keys are used: each must prove its holder has the secret.
    const members = await dkg.checkedMembers(this.lot, c.members);
    const me = members.find((m) => m.member === this.member);
    if (c.stage === "dealing") {
      if (!dealt.has(this.member)) {
        this.say("dealing");
        const dealing = await dkg.makeDealing(this.lot, members, c.threshold, this.member, this.secret);
        await postJson(this.urls.dealing, dealing);
        dealt.add(this.member);
      }
      this.say("dealing_waiting", { have: dealt.size, n });
      return;
    }
    if (c.stage === "acknowledging") {
      if (!acked.has(this.member)) {
        this.say("acknowledging");
        const ack = await dkg.acknowledge(this.lot, members, c.threshold, c.dealings, me, this.secret);
        await postJson(this.urls.acknowledgement, ack);
        acked.add(this.member);
        if (ack.complaints.length) {
          this.complain("complained", { dealers: ack.complaints.join(", ") });
          return;
        }
      }
      this.say("ack_waiting", { have: acked.size, n });
    }
  }
}

class OpeningPage extends MemberPage {
  constructor(root) {
    super(root);
    this.checkedCeremony = null;
  }

  /** The published ceremony, checked once: members' keys, dealings, acknowledgements and the joint key. */
  async ceremony(opening) {
    if (this.checkedCeremony) return this.checkedCeremony;
    const c = await getJson(this.ceremonyUrl);
    const joint = await dkg.checkCeremony(this.lot, c.threshold, c.members, c.dealings, c.acknowledgements, c.public_key);
    if (joint !== opening.public_key) throw new dkg.CeremonyError("the opening's lot key is not the one the ceremony made");
    const members = await dkg.checkedMembers(this.lot, c.members);
    for (const m of members) m.verificationKey = dkg.verificationKey(c.dealings, m.index);
    this.checkedCeremony = { threshold: c.threshold, members, dealings: c.dealings, publicKey: joint };
    return this.checkedCeremony;
  }

  async step() {
    const o = await getJson(this.openingUrl);
    this.root.dataset.stage = o.stage;
    const mine = o.members.find((m) => m.member === this.member);
    if (!mine) {
      this.say("not_member");
      this.stopped = true;
      return;
    }
    this.publishedKey = mine.public_key;
    const released = new Set(o.shares.map((s) => s.member));
    this.renderTable(o.members.map((m) => ({ member: m.member, values: [released.has(m.member)] })), ["th_released"]);
    if (o.stage === "not_closed") {
      this.say("opening_not_closed");
      return;
    }
    const c = await this.ceremony(o);
    // Every share released so far is checked here too, so a wrong one is named on every member's page.
    for (const message of o.shares) {
      const member = c.members.find((m) => m.member === message.member);
      try {
        if (!member) throw new dkg.CeremonyError(`${message.member} is not a member`);
        await dkg.checkShareMessage(this.lot, member, member.verificationKey, o.standing, message);
      } catch (error) {
        if (!(error instanceof dkg.CeremonyError)) throw error;
        this.complain("bad_share", { member: message.member, reason: error.message });
      }
    }
    if (o.stage === "opened") {
      this.say("opened");
      show(this.fileLabel, false);
      this.stopped = true;
      return;
    }
    if (!released.has(this.member)) {
      if (this.secret === null) {
        show(this.fileLabel, true);
        this.say("opening_load");
        return;
      }
      this.say("opening_computing");
      const me = c.members.find((m) => m.member === this.member);
      const share = await dkg.secretShare(this.lot, c.members, c.threshold, c.dealings, me, this.secret);
      const message = await dkg.openingShares(this.lot, me, share, this.secret, o.standing);
      await postJson(this.urls.shares, message);
      released.add(this.member);
      // The share is not kept: it is recomputed from the key file whenever it is needed.
    }
    show(this.fileLabel, false);
    this.say(released.size >= o.threshold ? "opening_ready" : "opening_posted", { have: released.size, k: o.threshold });
  }
}

for (const root of document.querySelectorAll("#commission[data-step], [data-commission]")) {
  const step = root.dataset.step || root.dataset.commission;
  const page = step === "opening" ? new OpeningPage(root) : new CeremonyPage(root);
  root.commissionPage = page;
  page.start();
}
