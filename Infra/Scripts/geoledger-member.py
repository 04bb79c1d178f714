# GeoLedger membership step, run on a node's VM by an Azure Run Command that the Pulumi stack creates.
#   member       this node's own step: a founding node waits for the cluster's leader; a node whose
#                node config says "join": true asks the cluster to add it (POST /v1/cluster/members)
#                and returns once it is a voter.
#   leave ID     asks the cluster to remove member ID (DELETE /v1/cluster/members/ID) and returns once
#                it is out of the member list.
# Tokens come from the service's environment file (root only) and go only in request headers, only to
# members' private addresses: never on a command line, never printed. Transient answers (409 another
# change in flight, 503 no leader, 502/504, no connection) are retried until the deadline.
import http.client
import json
import os
import socket
import ssl
import sys
import time
import urllib.parse

NODE_CONFIG = os.environ.get("GEOLEDGER_NODE_CONFIG", "/etc/geoledger/node.json")
ENV_FILE = os.environ.get("GEOLEDGER_ENV_FILE", "/etc/geoledger/env")
DEADLINE = time.monotonic() + float(os.environ.get("GEOLEDGER_TIMEOUT_SECONDS", "3300"))
RETRY_SECONDS = float(os.environ.get("GEOLEDGER_RETRY_SECONDS", "10"))
RETRIED = {409, 429, 502, 503, 504}


def fail(message):
    print(f"geoledger-member: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def say(message):
    print(f"geoledger-member: {message}", flush=True)


def tokens():
    """Access level -> token, from the Ledger__ApiTokens__N__* lines of the environment file."""
    values = {}
    with open(ENV_FILE, encoding="utf-8") as env:
        for line in env:
            key, _, value = line.rstrip("\n").partition("=")
            parts = key.split("__")
            if len(parts) == 4 and parts[:2] == ["Ledger", "ApiTokens"]:
                values.setdefault(parts[2], {})[parts[3]] = value
    return {v.get("Access"): v.get("Token") for v in values.values() if v.get("Token")}


class Cluster:
    """The members this node knows, and a way to call their API over their private addresses."""

    def __init__(self):
        with open(NODE_CONFIG, encoding="utf-8") as f:
            config = json.load(f)
        self.self_id = config["self"]
        self.join = config.get("join") is True
        self.members = {m["id"]: m for m in config["members"]}
        self.private = {}
        for m in self.members.values():
            self.learn(m)

    def learn(self, member):
        # The public URL's host and port, reached at the private address of the member's Raft URL.
        public = urllib.parse.urlsplit(member["public"])
        raft = urllib.parse.urlsplit(member["raft"])
        self.private[(public.hostname.lower(), public.port or default_port(public.scheme))] = raft.hostname

    def refresh(self, token):
        """Adds the members the local node knows now (a member joined after this node's config was written)."""
        status, body = self.call("GET", self.members[self.self_id]["public"] + "v1/cluster", token)
        if status == 200:
            for m in body.get("members", []):
                self.members.setdefault(m["id"], m)
                self.learn(m)
        return status, body

    def call(self, method, url, token, payload=None):
        """One request, following the leader's 307 (to a member's public URL) up to three times."""
        for _ in range(4):
            parts = urllib.parse.urlsplit(url)
            port = parts.port or default_port(parts.scheme)
            address = self.private.get((parts.hostname.lower(), port))
            if address is None:
                return None, {"title": f"{parts.hostname} is not a member this node knows: the token is not sent there"}
            connection = None
            try:
                connection = http.client.HTTPConnection(parts.hostname, port, timeout=max(5, min(600, DEADLINE - time.monotonic())))
                sock = socket.create_connection((address, port), timeout=30)
                if parts.scheme == "https":
                    sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
                connection.sock = sock
                body = None if payload is None else json.dumps(payload).encode()
                headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
                if body is not None:
                    headers["Content-Type"] = "application/json"
                connection.request(method, parts.path or "/", body=body, headers=headers)
                response = connection.getresponse()
                text = response.read()
                location = response.getheader("Location")
            except (OSError, http.client.HTTPException) as e:
                return None, {"title": f"no answer from {parts.hostname} ({type(e).__name__})"}
            finally:
                if connection is not None:
                    connection.close()
            if response.status in (307, 308) and location:
                url = urllib.parse.urljoin(url, location)
                continue
            try:
                return response.status, json.loads(text) if text else {}
            except ValueError:
                return response.status, {}
        return None, {"title": "too many redirects"}


def default_port(scheme):
    return 443 if scheme == "https" else 80


def title(body):
    return str(body.get("title") or body.get("detail") or "")[:300]


def until_done(step):
    """Runs step() until it returns True; step returns False to retry, or calls fail()."""
    while True:
        if step():
            return
        if time.monotonic() + RETRY_SECONDS > DEADLINE:
            fail("gave up at the deadline: the cluster did not finish the change (see the lines above); run pulumi up again to retry")
        time.sleep(RETRY_SECONDS)


def wait_for_leader(cluster, token):
    def step():
        status, body = cluster.refresh(token)
        leader = body.get("leader") if status == 200 else None
        if leader:
            say(f"{cluster.self_id} is a member; the leader is {leader.get('id')}")
            return True
        say(f"no leader yet ({status}: {title(body)}); retrying")
        return False

    until_done(step)


def join(cluster, token):
    me = cluster.members[cluster.self_id]
    payload = {k: me[k] for k in ("id", "region", "raft", "public")}
    others = [m for m in cluster.members if m != cluster.self_id]
    if not others:
        fail("the node config lists no other member to ask")
    attempt = [0]

    def step():
        target = cluster.members[others[attempt[0] % len(others)]]
        attempt[0] += 1
        status, body = cluster.call("POST", target["public"] + "v1/cluster/members", token, payload)
        if status == 200:
            say(f"{cluster.self_id} is a voter; members: {', '.join(m.get('id', '?') for m in body.get('members', []))}")
            return True
        if status is None or status in RETRIED:
            say(f"asked {target['id']}: {status or 'no answer'} {title(body)}; retrying")
            return False
        fail(f"the cluster refused to add {cluster.self_id}: {status} {title(body)}")

    until_done(step)


def leave(cluster, token, leaving):
    targets = [cluster.self_id] + [m for m in cluster.members if m not in (cluster.self_id, leaving)]

    def step():
        cluster.refresh(token)
        target = cluster.members[targets[0]]
        status, body = cluster.call("DELETE", target["public"] + "v1/cluster/members/" + urllib.parse.quote(leaving, safe=""), token)
        if status in (200, 404):
            # 404 may mean "not a member" or "no such endpoint": the member list decides.
            check, view = cluster.call("GET", target["public"] + "v1/cluster", token)
            if check == 200 and leaving not in [m.get("id") for m in view.get("members", [])]:
                say(f"{leaving} has left; members: {', '.join(m.get('id', '?') for m in view.get('members', []))}")
                return True
            if status == 404:
                fail(f"the cluster answered 404 to removing {leaving} but still lists it: {title(body)}")
            return False
        if status is None or status in RETRIED:
            say(f"removing {leaving}: {status or 'no answer'} {title(body)}; retrying")
            targets.append(targets.pop(0))
            return False
        fail(f"the cluster refused to remove {leaving}: {status} {title(body)}")

    until_done(step)


def main(args):
    if not args or args[0] not in ("member", "leave") or (args[0] == "leave") != (len(args) == 2):
        fail("usage: geoledger-member.py member | leave ID")
    cluster = Cluster()
    known = tokens()
    if args[0] == "member" and not cluster.join:
        token = known.get("read") or known.get("write") or known.get("admin")
        if not token:
            fail(f"{ENV_FILE} holds no API token")
        wait_for_leader(cluster, token)
        return
    token = known.get("admin")
    if not token:
        fail(f"{ENV_FILE} holds no admin token: set the stack's adminToken and roll it to this node (upgradeNodes) first")
    if args[0] == "member":
        join(cluster, token)
    else:
        if args[1] == cluster.self_id:
            fail(f"{args[1]} cannot remove itself: run the leave step on another member")
        leave(cluster, token, args[1])


if __name__ == "__main__":
    main(sys.argv[1:])
