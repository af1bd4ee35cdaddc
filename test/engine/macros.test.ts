/**
 * Macros: expression and command macros called in conditions and params (local transport), and what lint says
 * about macros and about templates reading results no step produces, located.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { execute, planDeployment } from "../../server/engine";
import { formatDiagnostic, loadSite } from "../../server/inventory";
import { policyDiagnostics } from "../../server/inventory/policy";
import { compileTemplate } from "../../server/template";
import { localInventory, Recorder, runSite, siteOf, workflow } from "./fleet-site";

const macro = (spec: string) => `kind: macro\napi_version: v1beta1\nspec: ${spec}\n`;

describe("macros at run time", () => {
  test("an expression macro and a command macro, in a condition and in params, calling each other", async () => {
    const site = siteOf(
      localInventory(["a", "b"]),
      workflow(`  - name: greet
    action: cmd.run
    when: "macros.health().ok and macros.is_first(host.name)"
    params: {cmd: "echo {{ macros.double(21) }} {{ macros['where-am-i']() }} {{ macros.health().nodes | join(',') }}"}`),
      macro(`{name: double, params: [n], expression: "n * 2"}`),
      macro(`{name: is_first, params: [name], expression: "name == macros.first_host()"}`),
      macro(`{name: first_host, expression: "'a'"}`),
      macro(`{name: health, command: "echo '{\\"ok\\": true, \\"nodes\\": [\\"n1\\", \\"n2\\"]}'", on: controller}`),
      macro(`{name: where-am-i, command: "echo on-{{ host.name }}", on: host}`),
    );
    const { status, rec } = await runSite(site);
    assert.equal(status, "succeeded");
    assert.equal(rec.output_of("a", "greet"), "42 on-a n1,n2\n");
    assert.deepEqual(rec.final("b"), { greet: "skipped" });
    assert.equal(rec.steps("b", "greet").at(-1)!.message, "when: macros.health().ok and macros.is_first(host.name) is false");
  });

  test("a command macro that fails fails the step that called it, saying which and why", async () => {
    const site = siteOf(localInventory(["a"]), workflow(`  - {name: use, action: cmd.run, params: {cmd: "echo {{ macros.broken() }}"}}`), macro(`{name: broken, command: "echo nope >&2; exit 4", on: controller}`));
    const { status, rec } = await runSite(site);
    assert.equal(status, "failed");
    assert.equal(rec.steps("a", "use").at(-1)!.message, "params.cmd:1:9: macro 'broken': its command exited 4 on the controller: nope");
  });
});

describe("the call syntax", () => {
  test("only macros are called, positionally; a template without a macro provider says so", () => {
    assert.throws(() => compileTemplate("{{ macros.x(a=1) }}"), /1:15: macro 'x': takes positional arguments only/);
    assert.throws(() => compileTemplate("{{ vars.items() }}"), /1:14: calls are not supported \(use the filter: '\| items'\)/);
    assert.deepEqual(
      compileTemplate("{{ macros['a-b'](vars.x, 2) }}").references().map((r) => [r.path, r.call]),
      [
        [["macros", "a-b"], 2],
        [["vars", "x"], undefined],
      ],
    );
    assert.throws(() => compileTemplate("{{ macros.x() }}").render({}), /1:4: macros.x\(\): macros are not available here/);
    assert.equal(compileTemplate("{{ macros.x(1) + 1 }}").render({}, { macro: (name, args) => (name === "x" ? (args[0] as number) * 10 : 0) }), "11");
  });
});

describe("macros on a server", () => {
  const refused = "local steps are refused on this site (a server admin turns on Local execution)";

  test("a controller macro runs only where local steps may: refused at run time, and by lint, with the policy's reason", async () => {
    const site = siteOf(localInventory(["a"]).replace("connection: {transport: local}", "connection: {transport: ssh, address: 127.0.0.1, port: 1}"), workflow(`  - {name: s, action: cmd.run, when: "macros.up()", params: {cmd: "true"}}`), macro(`{name: up, command: "echo true", on: controller}`));
    const plan = planDeployment(site);
    const rec = new Recorder();
    const status = await execute({ site, plan, sink: rec, signal: new AbortController().signal, server: { policy: { localRefused: refused } } });
    assert.equal(status, "failed");
    assert.equal(rec.steps("a", "s").at(-1)!.message, `when: macro 'up': ${refused}`);
    assert.deepEqual(policyDiagnostics(site, { localRefused: refused }).map(formatDiagnostic), [`f2.yml:3:44: error: a macro on the controller runs on the Flightdeck server, so it needs what a local step needs: ${refused}`]);
  });
});

describe("lint", () => {
  const lint = (...files: string[]) =>
    loadSite(files.map((content, i) => ({ path: `f${i}.yml`, content })))
      .diagnostics.filter((d) => d.severity === "error")
      .map(formatDiagnostic);

  test("unknown macro, wrong arity, a read that is not a call: located in the step", () => {
    const errors = lint(
      localInventory(["a"]),
      workflow(`  - name: s
    action: cmd.run
    when: "macros.helth()"
    params: {cmd: "echo {{ macros.double(1, 2) }} {{ macros.double }}"}`),
      macro(`{name: double, params: [n], expression: "n * 2"}`),
      macro(`{name: health, expression: "true"}`),
    );
    assert.deepEqual(errors, [
      "f1.yml:8:11: error: unknown macro 'helth' (did you mean 'health'?)",
      "f1.yml:9:28: error: macro 'double' takes 1 argument (n), given 2",
      "f1.yml:9:54: error: macro 'double' is called, not read: macros.double(n)",
    ]);
  });

  test("a macro that calls itself, directly or through others, and a macro on an unknown host", () => {
    const errors = lint(
      localInventory(["a"]),
      macro(`{name: loop, expression: "macros.loop()"}`),
      macro(`{name: ping, expression: "macros.pong()"}`),
      macro(`{name: pong, command: "echo {{ macros.ping() }}", on: {host: nowhere}}`),
    );
    assert.deepEqual(errors, ["f1.yml:3:14: error: macro 'loop' calls itself", "f2.yml:3:14: error: macro 'ping' calls itself through ping -> pong -> ping", "f3.yml:3:68: error: host 'nowhere' does not exist"]);
  });

  test("a macro is an expression or a command, and a command says where it runs", () => {
    assert.deepEqual(lint(macro(`{name: a, command: "x"}`), macro(`{name: b, expression: "1", command: "x", on: controller}`), macro(`{name: c, expression: "1", on: host}`)), [
      "f0.yml:3:26: error: 'command' is invalid: a command macro says where it runs: on: controller, host, or {host: NAME}",
      "f1.yml:3:7: error: 'spec' is invalid: give exactly one of 'expression' or 'command'",
      "f2.yml:3:38: error: 'on' is invalid: 'on' and 'timeout' are for command macros",
    ]);
  });

  test("a macro's body reads only its params and what templates see", () => {
    const errors = lint(localInventory(["a"]), macro(`{name: m, params: [x], expression: "y + x"}`));
    assert.deepEqual(errors, ["f1.yml:3:42: error: 'y' is undefined (did you mean 'x'?); a macro sees its params (x) and vars, host, hosts, steps, introspect, result, event, macros"]);
  });

  test("results that no step produces: steps['x'] not before, on a host that does not run it, result outside conditions, from a step that fetched nothing", () => {
    const errors = lint(
      localInventory(["a", "b"]),
      `kind: blueprint
api_version: v1beta1
spec:
  name: on-a
  steps:
  - {name: token, action: cmd.run, params: {cmd: "echo t"}}
  - {name: certs, action: file.fetch, params: {path: /etc/x}}
---
kind: blueprint
api_version: v1beta1
spec:
  name: on-all
  steps:
  - {name: early, action: cmd.run, params: {cmd: "echo {{ steps['later'].stdout }}"}}
  - {name: later, action: cmd.run, params: {cmd: "echo {{ steps['token'].stdout }} {{ hosts['b'].steps['token'].stdout }} {{ hosts['a'].steps['token'].stdout }}"}}
  - {name: out, action: cmd.run, params: {cmd: "echo {{ result.stdout }}"}, success: {condition: "result.rc == 0"}}
  - {name: place, action: file.managed, params: {path: /tmp/x, from: {step: later}}}
  - {name: place2, action: file.managed, params: {path: /tmp/x, from: {step: certs}}}
  - {name: place3, action: file.managed, params: {path: /tmp/x, from: {step: certs, host: a}}}
---
kind: deployment
api_version: v1beta1
spec:
  name: d
  stages:
  - name: s
    operations:
    - {blueprints: [on-a], targets: [a]}
    - {blueprints: [on-all], targets: [all]}
`,
    );
    assert.deepEqual(errors, [
      "f1.yml:14:59: error: 'steps.later.stdout' is undefined: 'later' is not a step of this blueprint before this one",
      "f1.yml:15:59: error: 'steps.token.stdout' is undefined for 1 of 2 targeted hosts: b: step 'token' runs on a (read it there as hosts['a'].steps['token'])",
      "f1.yml:15:87: error: 'hosts.b.steps.token.stdout' is undefined: step 'token' does not run on b (it runs on a)",
      "f1.yml:16:57: error: 'result' is only seen by a step's success and continue conditions (earlier steps' results are steps['NAME'])",
      "f1.yml:17:77: error: 'later' is not a file.fetch step before this one",
      "f1.yml:18:78: error: step 'certs' does not run on 1 of 2 targeted hosts: b: name the host that fetched it with from.host",
    ]);
  });
});
