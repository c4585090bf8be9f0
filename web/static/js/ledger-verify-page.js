// The inspector's verification page: reads the evidence and the inspector's trust policy, fetches the proof, the
// entry and consistency proofs from the platform's public API, and shows each check ledger-verify.js makes, in the
// page's language. The policy and the newest trusted checkpoint stay in this browser (localStorage).
import { parsePolicy, verifyEvidence } from "./ledger-verify.js";

const POLICY_SLOT = "achyk.trust-policy";

const form = document.getElementById("verify-form");
const evidence = document.getElementById("f-evidence");
const upload = document.getElementById("f-evidence-file");
const policyText = document.getElementById("f-policy");
const policyStatus = document.getElementById("policy-status");
const vkey = document.getElementById("f-vkey");
const result = document.getElementById("verify-result");
const verdict = document.getElementById("verify-verdict");
const keyNote = document.getElementById("verify-key-note");
const list = document.getElementById("verify-steps");
const times = document.getElementById("verify-times");
const checkpointTime = document.getElementById("verify-checkpoint-time");
const witnessList = document.getElementById("verify-witnesses");
const quorumTime = document.getElementById("verify-quorum-time");
const subject = document.getElementById("verify-subject");
const messages = JSON.parse(document.getElementById("verify-messages").textContent);
// Entry kinds by their names in the page's language (the ledger's own code stays beside the name).
const kinds = JSON.parse(document.getElementById("verify-kinds").textContent);

const VERDICTS = {
  verified: ["verified", "verdict-ok"],
  unwitnessed: ["unwitnessed_verdict", "verdict-ok"],
  not_trusted: ["not_trusted", "verdict-failed"],
  split_view: ["split_view", "verdict-failed"],
  failed: ["not_verified", "verdict-failed"],
};

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in values)) return whole;
    if (name === "kind" && values.kind in kinds) return `${kinds[values.kind]} (${values.kind})`;
    return values[name];
  });
}

// localStorage throws in some private modes and when disabled: the page then works without remembering.
function browserStorage() {
  try {
    const storage = globalThis.localStorage;
    storage.getItem(POLICY_SLOT);
    return storage;
  } catch {
    return undefined;
  }
}

const storage = browserStorage();

function keepPolicy(text) {
  if (!storage) return;
  if (text.trim()) storage.setItem(POLICY_SLOT, text);
  else storage.removeItem(POLICY_SLOT);
}

function say(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

/** A POSIX time (decimal string) as Bishkek wall-clock time in the page's language, and as UTC. */
function moment(seconds) {
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return { bishkek: seconds, utc: seconds };
  let bishkek;
  try {
    const options = { timeZone: "Asia/Bishkek", dateStyle: "long", timeStyle: "medium" };
    bishkek = new Intl.DateTimeFormat(document.documentElement.lang || "en", options).format(date);
  } catch {
    bishkek = date.toISOString();
  }
  return { bishkek, utc: date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "") };
}

async function problemOf(response) {
  try {
    return (await response.json()).message || response.statusText;
  } catch {
    return response.statusText;
  }
}

async function fetchProof(bodyHash) {
  const response = await fetch(`/api/v1/ledger/receipts/${encodeURIComponent(bodyHash)}/proof`);
  if (!response.ok) throw new Error(await problemOf(response));
  return response.text();
}

async function fetchEntry(index) {
  const response = await fetch(`/api/v1/ledger/entries?start=${index}&end=${index + 1n}`);
  if (!response.ok) throw new Error(await problemOf(response));
  const entries = await response.json();
  return entries.length ? entries[0].leaf : undefined;
}

async function fetchConsistency(size1, size2) {
  const response = await fetch(`/api/v1/ledger/proof/consistency?size1=${size1}&size2=${size2}`);
  if (!response.ok) throw new Error(await problemOf(response));
  return response.json();
}

function stepItem(ok, text, error, why) {
  const item = document.createElement("li");
  item.className = ok ? "step-ok" : "step-failed";
  const mark = document.createElement("span");
  mark.className = "step-mark";
  mark.setAttribute("aria-hidden", "true");
  mark.textContent = ok ? "\u2713" : "\u2717";
  const words = document.createElement("span");
  words.textContent = (ok ? "" : messages.failed + ": ") + text;
  item.append(mark, " ", words);
  if (!ok) {
    // The reason in the page's language when the check names one; the check's own words for a specialist.
    const reason = document.createElement("span");
    reason.className = "step-why";
    const known = why && messages[`why_${why.code}`];
    reason.textContent = known ? fill(known, why.values) : messages.why_other;
    item.append(document.createElement("br"), reason);
    const detail = document.createElement("code");
    detail.className = "step-error";
    detail.textContent = error;
    item.append(document.createElement("br"), detail);
  }
  return item;
}

function showTimes(report) {
  witnessList.replaceChildren();
  for (const witness of report.witnesses) {
    const item = document.createElement("li");
    item.textContent = fill(messages.witness_line, { name: witness.name, ...moment(witness.timestamp) });
    witnessList.append(item);
  }
  say(checkpointTime, report.checkpointTime === null ? "" : fill(messages.checkpoint_time, moment(report.checkpointTime)));
  say(quorumTime, report.quorumTime === null ? "" : fill(messages.quorum_time, moment(report.quorumTime)));
  times.hidden = !report.witnesses.length && report.checkpointTime === null;
}

function show(report) {
  list.replaceChildren();
  for (const step of report.steps) {
    const item = stepItem(step.ok, fill(messages[step.id] || step.id, step.values), step.error, step.why);
    item.dataset.step = step.id;
    list.append(item);
  }
  const [words, style] = VERDICTS[report.outcome] || VERDICTS.failed;
  verdict.textContent = messages[words];
  verdict.className = style;
  verdict.dataset.outcome = report.outcome;
  // Only what the signatures and the inclusion proof covered, from the signed bytes: never a file's own copy.
  say(subject, report.signed && report.outcome !== "failed" ? fill(messages.subject, report.signed) : "");
  showTimes(report);
}

upload.addEventListener("change", () => {
  const file = upload.files && upload.files[0];
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => { evidence.value = String(reader.result); };
  reader.readAsText(file);
});

policyText.value = (storage && storage.getItem(POLICY_SLOT)) || "";
policyText.addEventListener("input", () => {
  keepPolicy(policyText.value);
  say(policyStatus, "");
});

document.getElementById("policy-load").addEventListener("click", async () => {
  try {
    const response = await fetch("/api/v1/ledger/policy");
    if (!response.ok) throw new Error(await problemOf(response));
    policyText.value = await response.text();
    keepPolicy(policyText.value);
    say(policyStatus, messages.policy_loaded);
  } catch (error) {
    say(policyStatus, fill(messages.policy_unavailable, { error: String((error && error.message) || error) }));
  }
});

document.getElementById("policy-forget").addEventListener("click", () => {
  policyText.value = "";
  keepPolicy("");
  say(policyStatus, messages.policy_forgotten);
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  result.hidden = false;
  list.replaceChildren();
  say(subject, "");
  times.hidden = true;
  delete verdict.dataset.outcome;
  const key = vkey.value.trim();
  const hasPolicy = Boolean(policyText.value.trim());
  keyNote.hidden = hasPolicy || key === form.dataset.siteVkey;
  keyNote.textContent = messages.other_key;
  if (!evidence.value.trim()) {
    verdict.textContent = messages.no_input;
    verdict.className = "verdict-failed";
    return;
  }
  verdict.textContent = messages.working;
  verdict.className = "";
  form.setAttribute("aria-busy", "true");
  try {
    let policy;
    if (hasPolicy) {
      try {
        policy = await parsePolicy(policyText.value);
      } catch (error) {
        list.append(stepItem(false, messages.policy_invalid, String((error && error.message) || error)));
        verdict.textContent = messages.not_verified;
        verdict.className = "verdict-failed";
        verdict.dataset.outcome = "failed";
        return;
      }
    }
    const options = { policy, vkey: key, origin: form.dataset.origin, storage, fetchProof, fetchEntry, fetchConsistency };
    show(await verifyEvidence(evidence.value, options));
  } finally {
    form.removeAttribute("aria-busy");
  }
});
