// The inspector's verification page: reads the evidence, fetches the proof and the entry from the
// platform's public API, and shows each check ledger-verify.js makes, in the page's language.
import { verifyEvidence } from "./ledger-verify.js";

const form = document.getElementById("verify-form");
const evidence = document.getElementById("f-evidence");
const upload = document.getElementById("f-evidence-file");
const vkey = document.getElementById("f-vkey");
const result = document.getElementById("verify-result");
const verdict = document.getElementById("verify-verdict");
const keyNote = document.getElementById("verify-key-note");
const list = document.getElementById("verify-steps");
const messages = JSON.parse(document.getElementById("verify-messages").textContent);

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
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

function show(report) {
  list.replaceChildren();
  for (const step of report.steps) {
    const item = document.createElement("li");
    item.className = step.ok ? "step-ok" : "step-failed";
    item.dataset.step = step.id;
    const mark = document.createElement("span");
    mark.className = "step-mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = step.ok ? "\u2713" : "\u2717";
    const text = document.createElement("span");
    text.textContent = (step.ok ? "" : messages.failed + ": ") + fill(messages[step.id] || step.id, step.values);
    item.append(mark, " ", text);
    if (!step.ok) {
      const detail = document.createElement("code");
      detail.className = "step-error";
      detail.textContent = step.error;
      item.append(document.createElement("br"), detail);
    }
    list.append(item);
  }
  verdict.textContent = report.ok ? messages.verified : messages.not_verified;
  verdict.className = report.ok ? "verdict-ok" : "verdict-failed";
}

upload.addEventListener("change", () => {
  const file = upload.files && upload.files[0];
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => { evidence.value = String(reader.result); };
  reader.readAsText(file);
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  result.hidden = false;
  list.replaceChildren();
  const key = vkey.value.trim();
  keyNote.hidden = key === form.dataset.siteVkey;
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
    show(await verifyEvidence(evidence.value, { vkey: key, origin: form.dataset.origin, fetchProof, fetchEntry }));
  } finally {
    form.removeAttribute("aria-busy");
  }
});
