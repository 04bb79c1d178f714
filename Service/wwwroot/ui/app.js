// GeoLedger status page: polls every member's /v1/cluster (so it keeps working when the node that served it
// dies), shows who leads and how far each member is behind, and browses keys. No build step, no dependencies.
"use strict";

const pollMs = 1000;
const requestTimeoutMs = 800;
const maxChanges = 20;

const state = {
  token: sessionStorage.getItem("geoledger-token") || "",
  members: new Map(), // id -> { id, region, public }
  leader: null,
  changes: [],
  lastKeysUrl: null,
  next: null,
};

const $ = (id) => document.getElementById(id);

function headers() {
  return state.token ? { Authorization: "Bearer " + state.token } : {};
}

async function getJson(url) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), requestTimeoutMs);
  try {
    const response = await fetch(url, { headers: headers(), signal: abort.signal, cache: "no-store" });
    if (response.status === 401) throw new Error("needs a read token: enter one above");
    if (!response.ok) throw new Error("answered " + response.status);
    return await response.json();
  } finally {
    clearTimeout(timer);
  }
}

// Every member's public URL, plus the node that served the page until the member list is known.
function memberUrls() {
  const urls = new Map([...state.members.values()].map((m) => [m.id, m.public]));
  if (urls.size === 0) urls.set("(this node)", location.origin + "/");
  return urls;
}

async function poll() {
  const urls = memberUrls();
  const views = new Map();
  const failures = new Map();
  await Promise.all([...urls].map(async ([id, url]) => {
    try {
      views.set(id, await getJson(new URL("v1/cluster", url)));
    } catch (e) {
      failures.set(id, e.name === "AbortError" ? "no answer" : e.message);
    }
  }));

  for (const view of views.values()) {
    for (const m of view.members) state.members.set(m.id, { id: m.id, region: m.region, public: m.public });
  }

  render(views, failures);
}

// The leader: a member that says it leads, in the highest term any member reports; else the most named one.
function pickLeader(views) {
  let best = null;
  for (const view of views.values()) {
    if (view.leader && view.leader.id === view.node.id && (!best || view.term > best.term)) best = { id: view.node.id, term: view.term };
  }
  if (best) return best;
  const named = new Map();
  for (const view of views.values()) {
    if (view.leader) named.set(view.leader.id, (named.get(view.leader.id) || 0) + 1);
  }
  const top = [...named].sort((a, b) => b[1] - a[1])[0];
  return top ? { id: top[0], term: Math.max(...[...views.values()].map((v) => v.term)) } : null;
}

function render(views, failures) {
  const leader = pickLeader(views);
  const leaderView = leader ? [...views.values()].find((v) => v.node.id === leader.id) : null;
  const leaderId = leader ? leader.id : null;
  if (leaderId && leaderId !== state.leader) {
    state.changes.unshift({ at: new Date(), leader: leaderId, term: leader.term });
    state.changes.length = Math.min(state.changes.length, maxChanges);
    renderChanges();
  }
  state.leader = leaderId;

  const terms = [...views.values()].map((v) => v.term);
  $("leader").textContent = leaderId || "none (election under way?)";
  $("leader").className = leaderId ? "ok" : "bad";
  $("term").textContent = terms.length ? Math.max(...terms) : "…";
  $("commit").textContent = leaderView ? leaderView.commitIndex : "…";
  $("updated").textContent = new Date().toLocaleTimeString();
  const reachable = views.size;
  const total = Math.max(state.members.size, reachable + failures.size);
  $("summary").textContent = `${reachable} of ${total} members answering` + (leaderId ? `, ${leaderId} leads` : ", no leader");

  const errors = [...failures.values()].filter((e) => e.startsWith("needs a read token"));
  showError("cluster-error", errors.length ? "This cluster " + errors[0] : (reachable === 0 ? "No member answers." : ""));

  const body = $("members").tBodies[0];
  body.replaceChildren();
  const ids = state.members.size ? [...state.members.keys()] : [...views.keys(), ...failures.keys()];
  for (const id of ids.sort()) {
    const member = state.members.get(id) || { id, region: "", public: "" };
    const view = views.get(id);
    const row = body.insertRow();
    row.dataset.member = id;
    row.dataset.role = !view ? "unreachable" : id === leaderId ? "leader" : "follower";
    if (id === leaderId) row.className = "leader";
    const lag = view && leaderView ? Math.max(0, leaderView.commitIndex - view.appliedIndex) : null;
    const health = !view ? ["unreachable: " + (failures.get(id) || "no answer"), "bad"]
      : !view.leader ? ["no leader", "bad"]
      : view.appliedIndex < view.commitIndex ? ["applying", "warn"]
      : ["ready", "ok"];
    cell(row, id);
    cell(row, member.region);
    cell(row, row.dataset.role);
    cell(row, health[0], health[1]);
    cell(row, view ? view.term : "", "num");
    cell(row, view ? view.commitIndex : "", "num");
    cell(row, view ? view.appliedIndex : "", "num");
    cell(row, lag === null ? "" : lag, "num " + (lag === null ? "" : lag === 0 ? "ok" : "warn"));
    cell(row, member.public);
  }
}

function renderChanges() {
  const list = $("changes");
  list.replaceChildren(...state.changes.map((c) => {
    const item = document.createElement("li");
    item.textContent = `${c.at.toLocaleTimeString()}: ${c.leader} leads (term ${c.term})`;
    return item;
  }));
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = String(text);
  if (className) td.className = className;
  return td;
}

function showError(id, message) {
  $(id).textContent = message;
  $(id).hidden = !message;
}

// A member that answers, the leader first: any member serves reads.
function readUrl() {
  const urls = memberUrls();
  return (state.leader && urls.get(state.leader)) || [...urls.values()][0];
}

async function search(after) {
  const url = new URL("v1/kv", readUrl());
  url.searchParams.set("prefix", $("prefix").value);
  url.searchParams.set("limit", "50");
  if (after) url.searchParams.set("after", after);
  try {
    const page = await getJson(url);
    const body = $("keys").tBodies[0];
    if (!after) body.replaceChildren();
    for (const item of page.items) {
      const row = body.insertRow();
      cell(row, item.key);
      cell(row, item.revision, "num");
      row.addEventListener("click", () => showValue(row, item));
    }
    state.next = page.next;
    $("more").hidden = !page.next;
    showError("keys-error", page.items.length || after ? "" : "No key starts with that prefix.");
  } catch (e) {
    showError("keys-error", "Search failed: " + (e.name === "AbortError" ? "no answer" : e.message));
  }
}

function showValue(row, item) {
  for (const r of $("keys").tBodies[0].rows) r.classList.toggle("picked", r === row);
  $("value-key").textContent = item.key;
  $("value-revision").textContent = "revision " + item.revision;
  $("value").textContent = JSON.stringify(item.value, null, 2);
}

$("token").value = state.token;
$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  state.token = $("token").value.trim();
  sessionStorage.setItem("geoledger-token", state.token);
  poll();
});
$("search").addEventListener("submit", (e) => {
  e.preventDefault();
  search(null);
});
$("more").addEventListener("click", () => search(state.next));

// One poll at a time: a slow member must not pile requests up.
async function loop() {
  await poll();
  setTimeout(loop, pollMs);
}

loop();
