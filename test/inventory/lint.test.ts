/** Every lint diagnostic, asserted in its `file:line:col: severity: message` form, and nothing else reported. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatDiagnostic, hasErrors } from "../../server/inventory";
import { KIND_LIST } from "../../server/inventory/schemas";
import { lint, site, yml } from "./helpers";

describe("YAML", () => {
  test("a syntax error is located, and the file's other documents and other files still load", () => {
    const files = {
      "bad.yml": yml`
        kind: inventory
        api_version: v1beta1
        spec:
          hosts:
          - name: [a
        ---
        kind: inventory
        api_version: v1beta1
        spec:
          hosts: [{name: fine}]
      `,
      "good.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: also-fine}]\n",
    };
    // The parser notices the unclosed `[` where the next line starts.
    assert.deepEqual(lint(files), ["bad.yml:6:1: error: YAML syntax: flow sequence in block collection must be sufficiently indented and end with a ]"]);
    assert.deepEqual([...site(files).model.hosts.keys()], ["fine", "also-fine"]);
  });

  test("a tab used for indentation is a syntax error", () => {
    assert.deepEqual(lint("kind: inventory\napi_version: v1beta1\nspec:\n\thosts: []\n"), [
      "inv.yml:4:1: error: YAML syntax: tabs are not allowed as indentation",
    ]);
  });

  test("an unquoted removal is a YAML tag: a warning that says how to write it", () => {
    assert.deepEqual(lint("kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: h, data: {!ntp: ~}}]\n"), [
      `inv.yml:4:28: warning: YAML syntax: unknown tag '!ntp'; to remove an inherited key, quote it: "!ntp": ~`,
    ]);
  });

  test("a duplicate key is an error at the second key", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: a
          name: b
    `;
    assert.deepEqual(lint(text), ["inv.yml:6:5: error: duplicate key in this map (YAML keys must be unique)"]);
  });
});

describe("document envelope", () => {
  test("unknown kind, with did-you-mean", () => {
    assert.deepEqual(lint("kind: profil\napi_version: v1beta1\nspec: {name: p}\n"), [
      `inv.yml:1:7: error: unknown kind 'profil' (did you mean 'profile'?); expected one of: ${KIND_LIST}`,
    ]);
    assert.deepEqual(lint("kind: inventroy.kvm\napi_version: v1beta1\nspec: {}\n"), [
      `inv.yml:1:7: error: unknown kind 'inventroy.kvm'; expected one of: ${KIND_LIST}`,
    ]);
  });

  test("missing kind", () => {
    assert.deepEqual(lint("api_version: v1beta1\nspec: {}\n"), [`inv.yml:1:1: error: missing 'kind' (one of: ${KIND_LIST})`]);
  });

  test("unknown and missing api_version", () => {
    assert.deepEqual(lint("kind: inventory\napi_version: v1\nspec: {}\n"), [`inv.yml:2:14: error: unknown api_version "v1" (expected v1beta1)`]);
    assert.deepEqual(lint("kind: inventory\nspec: {}\n"), ["inv.yml:1:1: error: missing 'api_version' (expected v1beta1)"]);
  });

  test("a document that is not a map", () => {
    assert.deepEqual(lint("kind: inventory\napi_version: v1beta1\nspec: {}\n---\n- a list\n"), [
      "inv.yml:5:1: error: a document must be a map with kind, api_version and spec",
    ]);
  });

  test("missing spec", () => {
    assert.deepEqual(lint("kind: inventory\napi_version: v1beta1\n"), ["inv.yml:1:1: error: missing required field 'spec'"]);
  });

  test("empty files and empty documents are fine", () => {
    assert.deepEqual(lint({ "empty.yml": "", "comment.yml": "# nothing yet\n", "docs.yml": "---\n---\n" }), []);
  });
});

describe("schema", () => {
  test("unknown fields, with did-you-mean and the allowed names", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: h1
          connection: {usr: root}
          datas: {a: 1}
        groups:
        - name: g
          memebers: [h1]
    `;
    assert.deepEqual(lint(text), [
      "inv.yml:6:18: error: unknown field 'usr' (did you mean 'user'?); allowed: transport, address, port, user, key_file, known_hosts, host_key_checking, jump, connect_timeout",
      "inv.yml:7:5: error: unknown field 'datas' (did you mean 'data'?); allowed: name, profile, labels, connection, data",
      "inv.yml:10:5: error: unknown field 'memebers' (did you mean 'members'?); allowed: name, members, children, connection, data",
    ]);
  });

  test("an unknown field with nothing close gets no suggestion", () => {
    assert.deepEqual(lint("kind: profile\napi_version: v1beta1\nspec: {name: p, zzzzzzzz: 1}\n"), [
      "inv.yml:3:17: error: unknown field 'zzzzzzzz'; allowed: name, parent, connection, data",
    ]);
  });

  test("wrong types and values", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: h1
          connection: {port: "22", host_key_checking: maybe}
        - name: h2
          data: [1, 2]
        - name: -bad
        - name: h3
          labels: {role: [web]}
        groups:
        - name: g
          members: h1
    `;
    assert.deepEqual(lint(text), [
      `inv.yml:6:24: error: 'port' must be a number, not string "22"`,
      `inv.yml:6:49: error: 'host_key_checking' must be one of: strict, accept-new, off; got "maybe"`,
      "inv.yml:8:11: error: 'data' must be a map, not a list",
      "inv.yml:9:11: error: 'name' must start with a letter or digit and hold only letters, digits, '.', '_' or '-'",
      "inv.yml:11:20: error: 'role' must be a string, a number or a boolean, not a list",
      `inv.yml:14:14: error: 'members' must be a list, not string "h1"`,
    ]);
  });

  test("a value no branch of a union accepts", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: h1
          connection: {connect_timeout: true}
        - name: h2
          connection: {connect_timeout: soon}
    `;
    assert.deepEqual(lint(text), [
      "inv.yml:6:35: error: 'connect_timeout' must be a number or a string, not boolean true",
      "inv.yml:8:35: error: 'connect_timeout' must be a duration such as 10s, 500ms or 1m",
    ]);
  });

  test("missing required fields", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - profile: p
        groups:
        - members: []
      ---
      kind: profile
      api_version: v1beta1
      spec:
        parent: p
    `;
    assert.deepEqual(lint(text), [
      "inv.yml:5:5: error: missing required field 'name' in spec.hosts[0]",
      "inv.yml:7:5: error: missing required field 'name' in spec.groups[0]",
      "inv.yml:11:1: error: missing required field 'name' in spec",
    ]);
  });

  test("a broken entry is left out without cascading errors about its name", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: h1
          port: 22
        groups:
        - name: g
          members: [h1]
    `;
    assert.deepEqual(lint(text), ["inv.yml:6:5: error: unknown field 'port'; allowed: name, profile, labels, connection, data"]);
  });

  test("hosts or groups that are not lists are errors, not crashes", () => {
    assert.deepEqual(lint("kind: inventory\napi_version: v1beta1\nspec:\n  hosts: {a: 1}\n  groups: g\n"), [
      "inv.yml:4:10: error: 'hosts' must be a list, not a map",
      `inv.yml:5:11: error: 'groups' must be a list, not string "g"`,
    ]);
  });
});

describe("names and references", () => {
  test("duplicate host, group and profile names point at the first definition", () => {
    const files = {
      "a.yml": yml`
        kind: inventory
        api_version: v1beta1
        spec:
          hosts: [{name: h1}]
          groups: [{name: g}]
        ---
        kind: profile
        api_version: v1beta1
        spec: {name: p}
      `,
      "b.yml": yml`
        kind: inventory
        api_version: v1beta1
        spec:
          hosts:
          - name: h1
          groups:
          - name: g
        ---
        kind: profile
        api_version: v1beta1
        spec:
          name: p
      `,
    };
    assert.deepEqual(lint(files), [
      "b.yml:5:11: error: duplicate host 'h1' (first defined at a.yml:4:18)",
      "b.yml:7:11: error: duplicate group 'g' (first defined at a.yml:5:19)",
      "b.yml:12:9: error: duplicate profile 'p' (first defined at a.yml:9:14)",
    ]);
  });

  test("members, children, profiles and parents that do not exist", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: kvm-1
          profile: kvm-hots
        groups:
        - name: hypervisors
          members: [kvm-1, kvm-3, qqqqqqqq]
          children: [edg]
        - name: edge
      ---
      kind: profile
      api_version: v1beta1
      spec:
        name: kvm-host
        parent: base-srever
    `;
    assert.deepEqual(lint(text), [
      "inv.yml:6:14: error: profile 'kvm-hots' does not exist (did you mean 'kvm-host'?)",
      "inv.yml:9:22: error: member 'kvm-3' of group 'hypervisors' is not a host (did you mean 'kvm-1'?)",
      "inv.yml:9:29: error: member 'qqqqqqqq' of group 'hypervisors' is not a host",
      "inv.yml:10:16: error: child group 'edg' of group 'hypervisors' does not exist (did you mean 'edge'?)",
      "inv.yml:17:11: error: parent profile 'base-srever' does not exist",
    ]);
  });

  test("a member that is a group, and a child that is a host, get a hint", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts: [{name: h1}]
        groups:
        - name: parent
          members: [child]
          children: [h1]
        - name: child
    `;
    assert.deepEqual(lint(text), [
      "inv.yml:7:15: error: member 'child' of group 'parent' is not a host ('child' is a group: list it under children)",
      "inv.yml:8:16: error: child group 'h1' of group 'parent' does not exist ('h1' is a host: list it under members)",
    ]);
  });
});

describe("names used twice", () => {
  test("a member or child listed twice, and a host named like a group, are warnings", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts: [{name: h1}, {name: web}]
        groups:
        - name: web
          members: [h1, h1]
          children: [db, db]
        - name: db
    `;
    assert.deepEqual(lint(text), [
      "inv.yml:4:30: warning: host 'web' has the same name as a group; targets naming it are ambiguous",
      "inv.yml:7:19: warning: 'h1' is listed twice in group 'web'",
      "inv.yml:8:20: warning: 'db' is listed twice in the children of 'web'",
    ]);
  });
});

describe("structure", () => {
  test("a profile parent cycle is reported once, at the parent that closes it", () => {
    const text = yml`
      kind: profile
      api_version: v1beta1
      spec: {name: a, parent: b}
      ---
      kind: profile
      api_version: v1beta1
      spec: {name: b, parent: c}
      ---
      kind: profile
      api_version: v1beta1
      spec: {name: c, parent: a}
      ---
      kind: profile
      api_version: v1beta1
      spec: {name: self, parent: self}
    `;
    assert.deepEqual(lint(text), [
      "inv.yml:11:25: error: profile inheritance cycle: a -> b -> c -> a",
      "inv.yml:15:28: error: profile inheritance cycle: self -> self",
    ]);
  });

  test("a group children cycle", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        groups:
        - name: a
          children: [b]
        - name: b
          children: [c]
        - name: c
          children: [a]
        - name: self
          children: [self]
    `;
    assert.deepEqual(lint(text), [
      "inv.yml:10:16: error: group cycle: b -> c -> a -> b",
      "inv.yml:12:16: error: group cycle: self -> self",
    ]);
  });

  test("a group that is the child of two groups", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        groups:
        - name: a
          children: [shared]
        - name: b
          children: [shared]
        - name: shared
    `;
    assert.deepEqual(lint(text), ["inv.yml:8:16: error: group 'shared' is already a child of 'a' (inv.yml:5:11); a group has one parent"]);
  });

  test("the all group cannot be a child, and its members list is pointless", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts: [{name: h1}]
        groups:
        - name: all
          members: [h1]
        - name: g
          children: [all]
    `;
    assert.deepEqual(lint(text), [
      "inv.yml:7:14: warning: the 'all' group holds every host; its members list changes nothing",
      "inv.yml:9:16: error: 'all' is the root of every group and cannot be a child",
    ]);
  });
});

describe("sibling groups", () => {
  const files = {
    "a.yml": yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts: [{name: h1}, {name: h2}, {name: h3}]
        groups:
        - name: east
          members: [h1, h2]
          data:
            ntp: {server: a.example}
            same: 1
            nested: {ok: 1}
          connection: {user: root}
    `,
    "b.yml": yml`
      kind: inventory
      api_version: v1beta1
      spec:
        groups:
        - name: west
          members: [h1, h2, h3]
          data:
            ntp: {server: b.example}
            same: 1
            nested: {other: 2}
          connection: {user: admin}
    `,
  };

  test("setting one key to different values is a warning naming both places and the hosts", () => {
    assert.deepEqual(lint(files), [
      "b.yml:8:13: warning: groups 'east' and 'west' both set 'ntp.server' to different values (the other is at a.yml:9:13); 'west' wins only because it is declared later (affects hosts h1, h2)",
      "b.yml:11:18: warning: groups 'east' and 'west' both set connection user to different values (the other is at a.yml:12:18); 'west' wins only because it is declared later (affects hosts h1, h2)",
    ]);
    assert.equal(hasErrors(site(files).diagnostics), false);
  });

  test("a parent and its child may disagree: the child is meant to win", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts: [{name: h1}]
        groups:
        - name: parent
          children: [child]
          data: {x: 1}
        - name: child
          members: [h1]
          data: {x: 2}
    `;
    assert.deepEqual(lint(text), []);
  });

  test("a scalar in one group and a map in the other also conflict", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts: [{name: h1}]
        groups:
        - name: a
          members: [h1]
          data: {disk: 5}
        - name: b
          members: [h1]
          data: {disk: {size: 1}}
    `;
    assert.deepEqual(lint(text), [
      "inv.yml:11:12: warning: groups 'a' and 'b' both set 'disk' to different values (the other is at inv.yml:8:12); 'b' wins only because it is declared later (affects host h1)",
    ]);
  });
});

describe("diagnostics", () => {
  test("are sorted by file, line and column and carry an end position", () => {
    const s = site({
      "b.yml": "kind: nope\n",
      "a.yml": "kind: inventory\napi_version: v2\nspec: {hosts: [{name: x, oops: 1}]}\n",
    });
    assert.deepEqual(s.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}`), ["a.yml:2:14", "a.yml:3:26", "b.yml:1:7"]);
    const first = s.diagnostics[0]!;
    assert.deepEqual([first.endLine, first.endCol], [2, 16]);
    assert.equal(formatDiagnostic(first), `a.yml:2:14: error: unknown api_version "v2" (expected v1beta1)`);
  });
});
