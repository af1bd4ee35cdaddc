/**
 * The template language: exact outputs, exact error messages and positions. Every operator, filter, test and
 * statement; strictness (nothing undefined renders); prototype safety; limits; syntax errors; lint references;
 * renderValue for step params; and the quote filter against a real /bin/sh.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { describe, test } from "node:test";
import {
  DEFAULT_LIMITS,
  FILTER_NAMES,
  TEST_NAMES,
  TemplateError,
  TemplateSyntaxError,
  compileTemplate,
  isTemplate,
  renderValue,
  type RenderOptions,
} from "../../server/template";

const CTX = {
  vars: {
    packages: ["nginx", "curl"],
    port: 8080,
    ratio: 1.5,
    name: "web-1",
    nothing: null,
    empty: "",
    zero: 0,
    enabled: true,
    list: [1, 2, 3],
    no_items: [],
    words: ["b", "a", "C", "a"],
    net: { ip: "10.0.0.5", mask: 24 },
    users: [
      { name: "ann", uid: 1001, shell: "/bin/bash", groups: ["adm", "sudo"] },
      { name: "bob", uid: 1002, shell: null, groups: [] },
    ],
    peer: "kvm-2",
    key: "ip",
  },
  host: { name: "web-1", groups: ["web", "prod"], labels: { role: "web" }, connection: { transport: "ssh", address: "10.0.0.5", port: 22 } },
  hosts: { "kvm-1": { ip: "10.0.1.1" }, "kvm-2": { ip: "10.0.1.2" } },
  steps: { "make token": { stdout: "tok-123\n", rc: 0 } },
};

type Ctx = Record<string, unknown>;

function render(src: string, ctx: Ctx = CTX, options?: RenderOptions): string {
  return compileTemplate(src).render(ctx, options);
}

/** Compiles fine, then fails to render with exactly this message (`line:col: reason`). */
function fails(src: string, message: string, ctx: Ctx = CTX, options?: RenderOptions): void {
  const t = compileTemplate(src);
  assert.throws(
    () => t.render(ctx, options),
    (e: unknown) => {
      assert.ok(e instanceof TemplateError, `expected a TemplateError, got ${String(e)}`);
      assert.ok(!(e instanceof TemplateSyntaxError));
      assert.equal(e.message, message);
      return true;
    },
  );
}

/** Fails to compile with exactly this message. */
function syntaxFails(src: string, message: string): void {
  assert.throws(
    () => compileTemplate(src),
    (e: unknown) => {
      assert.ok(e instanceof TemplateSyntaxError, `expected a TemplateSyntaxError, got ${String(e)}`);
      assert.equal(e.message, message);
      return true;
    },
  );
}

/** Rows of [template, expected output], one test each. */
function renders(rows: readonly (readonly [string, string])[], ctx: Ctx = CTX): void {
  for (const [src, expected] of rows) {
    test(`${JSON.stringify(src)} → ${JSON.stringify(expected)}`, () => assert.equal(render(src, ctx), expected));
  }
}

/** Rows of [template, expected error message]. */
function failures(rows: readonly (readonly [string, string])[], ctx: Ctx = CTX): void {
  for (const [src, message] of rows) test(`${JSON.stringify(src)} fails: ${message}`, () => fails(src, message, ctx));
}

describe("text, output and literals", () => {
  renders([
    ["plain text, no tags", "plain text, no tags"],
    ["", ""],
    ["Hello {{ vars.name }}!", "Hello web-1!"],
    ["{{vars.name}}", "web-1"],
    ["{{ 'single' }} {{ \"double\" }}", "single double"],
    [String.raw`{{ 'it\'s' }} {{ "say \"hi\"" }}`, `it's say "hi"`],
    [String.raw`{{ 'a\nb\tc\\d' }}`, "a\nb\tc\\d"],
    [String.raw`{{ '\x41\u00e9' }}`, "Aé"],
    [String.raw`{{ 'C:\dir' }}`, "C:\\dir"],
    ["{{ '}}' }} {{ '{{' }} {{ '{%' }}", "}} {{ {%"],
    ["{{ 42 }} {{ 1.5 }} {{ 1e3 }} {{ 2.5e-1 }} {{ 0 }}", "42 1.5 1000 0.25 0"],
    ["{{ true }} {{ false }} {{ True }} {{ False }}", "true false true false"],
    ["{{ vars.enabled }} {{ vars.port }} {{ vars.ratio }}", "true 8080 1.5"],
    ["{{ none | string }}|{{ None | string }}", "|"],
    ["{{ [1, 'a', true, none] | tojson }}", '[1,"a",true,null]'],
    ["{{ [1, 2,] | length }} {{ [] | length }}", "2 0"],
    ["{{ {'a': 1, 'b': [2, 3]} | tojson }}", '{"a":1,"b":[2,3]}'],
    ["{{ {'a': {'b': {'c': 1}}} | tojson }}", '{"a":{"b":{"c":1}}}'],
    ["{{ {1: 'one'}[1] }} {{ {} | length }}", "one 0"],
    ["{{ 'multi\nline' }}", "multi\nline"],
    ["{{\n  vars.name\n}}", "web-1"],
    ["a {# a comment {{ not rendered }} #}b", "a b"],
    ["{{ 'ü✓' }}", "ü✓"],
  ]);
});

describe("operators", () => {
  renders([
    // arithmetic
    ["{{ 1 + 2 }} {{ 5 - 7 }} {{ 3 * 4 }} {{ 7 / 2 }} {{ 8 / 2 }}", "3 -2 12 3.5 4"],
    ["{{ 7 // 2 }} {{ -7 // 2 }} {{ 7.5 // 2 }}", "3 -4 3"],
    ["{{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 5.5 % 2 }}", "1 2 -2 1.5"],
    ["{{ 2 ** 10 }} {{ 2 ** 3 ** 2 }} {{ 4 ** 0.5 }}", "1024 64 2"],
    ["{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 2 - 3 }} {{ 2 * 3 % 4 }}", "7 9 5 2"],
    ["{{ -vars.port }} {{ +vars.port }} {{ - -1 }} {{ -2 ** 2 }}", "-8080 8080 1 4"],
    ["{{ vars.port + 1 }} {{ vars.ratio * 2 }}", "8081 3"],
    // strings and lists
    ["{{ 'a' + 'b' }} {{ 'ab' * 3 }} {{ 2 * '-' }} [{{ 'x' * 0 }}] [{{ 'x' * -1 }}]", "ab ababab -- [] []"],
    ["{{ ([1] + [2, 3]) | join(',') }}", "1,2,3"],
    ["{{ 'port ' ~ vars.port ~ '/' ~ true }}", "port 8080/true"],
    ["{{ 'a' ~ (1 + 2) }} {{ 1 ~ 2 }}", "a3 12"],
    // comparisons
    ["{{ 1 < 2 }} {{ 2 <= 2 }} {{ 3 > 4 }} {{ 4 >= 4 }} {{ 1 == 1 }} {{ 1 != 1 }}", "true true false true true false"],
    ["{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 3 > 2 > 1 }}", "true false true"],
    ["{{ 'a' < 'b' }} {{ 'B' < 'a' }} {{ 'abc' == 'abc' }}", "true true true"],
    ["{{ 1 == 1.0 }} {{ 1 == true }} {{ 0 == false }} {{ none == none }} {{ '1' == 1 }}", "true false false true false"],
    ["{{ [1, [2]] == [1, [2]] }} {{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }} {{ [1] == [1, 2] }}", "true true false"],
    ["{{ vars.net == {'ip': '10.0.0.5', 'mask': 24} }}", "true"],
    // in
    ["{{ 'ngi' in 'nginx' }} {{ '' in 'x' }} {{ 'x' in '' }}", "true true false"],
    ["{{ 'nginx' in vars.packages }} {{ 'apache' in vars.packages }} {{ 'apache' not in vars.packages }}", "true false true"],
    ["{{ 'ip' in vars.net }} {{ 'gw' in vars.net }} {{ [2] in [[1], [2]] }} {{ 'web' in host.groups }}", "true false true true"],
    // logic
    ["{{ true and false }} {{ true or false }} {{ not true }} {{ not not 1 }}", "false true false true"],
    ["{{ '' or 'fallback' }} {{ 'set' or 'fallback' }} {{ 0 and 'x' }} {{ 1 and 'x' }}", "fallback set 0 x"],
    ["{{ not [] }} {{ not {} }} {{ not '' }} {{ not 0 }} {{ not none }} {{ not 'a' }}", "true true true true true false"],
    ["{{ not 1 == 2 }} {{ not 1 in [1] }} {{ false and 1/0 }} {{ true or 1/0 }}", "true false false true"],
    // conditional expression
    ["{{ 'yes' if vars.enabled else 'no' }} {{ 'yes' if vars.zero else 'no' }}", "yes no"],
    ["[{{ '--debug' if vars.zero }}] [{{ '--debug' if vars.enabled }}]", "[] [--debug]"],
    ["{{ 'a' if false else 'b' if false else 'c' }}", "c"],
    ["{{ (vars.port if vars.enabled else 80) + 1 }}", "8081"],
  ]);
  failures([
    ["{{ 'port ' ~ 80 + 1 }}", "1:17: cannot apply '+' to a string and a number (use '~' to join text)"],
    ["{{ 'a' + 1 }}", "1:8: cannot apply '+' to a string and a number (use '~' to join text)"],
    ["{{ [1] + 'a' }}", "1:8: cannot apply '+' to a list and a string (use '~' to join text)"],
    ["{{ true + 1 }}", "1:9: cannot apply '+' to a boolean and a number"],
    ["{{ 'a' - 'b' }}", "1:8: cannot apply '-' to a string and a string"],
    ["{{ [1] * 2 }}", "1:8: cannot apply '*' to a list and a number"],
    ["{{ 'a' * 1.5 }}", "1:8: cannot repeat a string 1.5 times"],
    ["{{ 1 / 0 }}", "1:6: division by zero"],
    ["{{ 1 // 0 }} ", "1:6: division by zero"],
    ["{{ 1 % 0 }}", "1:6: division by zero"],
    ["{{ 10 ** 400 }}", "1:7: the result of '**' is not a finite number"],
    ["{{ -'a' }}", "1:4: cannot apply unary '-' to a string"],
    ["{{ 1 < 'a' }}", "1:6: cannot compare a number and a string with '<'"],
    ["{{ 1 < 2 < 'a' }}", "1:10: cannot compare a number and a string with '<'"],
    ["{{ none >= 1 }}", "1:9: cannot compare none and a number with '>='"],
    ["{{ 1 in 'abc' }}", "1:6: 'in' a string needs a string on the left, got a number"],
    ["{{ 1 in 5 }}", "1:6: 'in' needs a string, list or map on the right, got a number"],
    ["{{ [1] in vars.net }}", "1:8: 'in' a map needs a string key on the left, got a list"],
    ["{{ 'x: ' ~ vars.nothing }}", "1:12: 'vars.nothing' is none: use '| default(...)' for a fallback, or '| string' to render it as empty text"],
    ["{{ 'x: ' ~ vars.packages }}", "1:12: 'vars.packages' is a list: render it with '| join(...)', '| tojson' or '| toyaml'"],
  ]);
});

describe("attribute and subscript access", () => {
  renders([
    ["{{ vars.net.ip }} {{ vars['net']['ip'] }} {{ vars.net['mask'] }} {{ vars['net'].ip }}", "10.0.0.5 10.0.0.5 24 10.0.0.5"],
    ["{{ steps['make token'].stdout | trim }} {{ steps['make token'].rc }}", "tok-123 0"],
    ["{{ hosts['kvm-1'].ip }} {{ hosts[vars.peer].ip }} {{ hosts[vars.peer][vars.key] }}", "10.0.1.1 10.0.1.2 10.0.1.2"],
    ["{{ vars.packages[0] }} {{ vars.packages[1] }} {{ vars.packages[-1] }} {{ vars.packages[-2] }}", "nginx curl curl nginx"],
    ["{{ vars.users[0].groups[-1] }} {{ vars.users[1]['name'] }}", "sudo bob"],
    ["{{ vars.list[1 + 1] }} {{ vars.list[vars.list[0]] }}", "3 2"],
    ["{{ vars.name[0] }}{{ vars.name[-1] }} {{ 'héllo'[1] }}", "w1 é"],
    ["{{ vars.list[1:] | join(',') }} {{ vars.list[:-1] | join(',') }} {{ vars.list[::-1] | join(',') }}", "2,3 1,2 3,2,1"],
    ["{{ vars.list[::2] | join(',') }} {{ vars.list[5:] | length }} {{ vars.list[-10:1] | join }}", "1,3 0 1"],
    ["{{ vars.name[:3] }} {{ vars.name[4:] }} {{ vars.name[::-1] }} {{ vars.name[none:2] }}", "web 1 1-bew we"],
    ["{{ host.connection.port }} {{ host.labels.role }} {{ host.groups | join(' ') }}", "22 web web prod"],
  ]);
  test("a map with a number subscript is read by its key's digits", () => {
    assert.equal(render("{{ m[1] }} {{ m['1'] }}", { m: { "1": "one" } }), "one one");
  });
  test("null-prototype maps (as some parsers make them) are maps", () => {
    const m = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    assert.equal(render("{{ m.a }} {{ m | length }}", { m }), "1 1");
  });
  failures([
    ["{{ vars.list[1.5] }}", "1:14: an index must be an integer, got 1.5"],
    ["{{ vars.list[none] }}", "1:14: a subscript must be a string or a number, got none"],
    ["{{ vars.list[[0]] }}", "1:14: a subscript must be a string or a number, got a list"],
    ["{{ vars.list[::0] }}", "1:16: slice step must not be zero"],
    ["{{ vars.list['a':] }}", "1:14: slice bounds must be integers, got a string"],
    ["{{ vars.port[1:] }}", "1:4: cannot slice a number ('vars.port')"],
  ]);
});

describe("strictness: nothing undefined renders", () => {
  failures([
    ["{{ vars.pakages }}", "1:4: 'vars.pakages' is undefined (did you mean 'vars.packages'?)"],
    ["Hello {{ vars.pakages | join(' ') }}", "1:10: 'vars.pakages' is undefined (did you mean 'vars.packages'?)"],
    ["{{ vars.zzzzzz }}", "1:4: 'vars.zzzzzz' is undefined"],
    ["{{ varz.name }}", "1:4: 'varz' is undefined (did you mean 'vars'?)"],
    ["{{ hots['kvm-1'] }}", "1:4: 'hots' is undefined (did you mean 'host'?)"],
    ["{{ null }}", "1:4: 'null' is undefined (did you mean 'none'?)"],
    ["{{ hosts['kvm-3'].ip }}", "1:4: 'hosts['kvm-3']' is undefined (did you mean 'hosts['kvm-1']'?)"],
    ["{{ steps['make token'].stout }}", "1:4: 'steps['make token'].stout' is undefined (did you mean 'steps['make token'].stdout'?)"],
    ["{{ steps['make tokens'].stdout }}", "1:4: 'steps['make tokens']' is undefined (did you mean 'steps['make token']'?)"],
    ["{{ vars.list[3] }}", "1:4: 'vars.list[3]' is undefined (the list has 3 items)"],
    ["{{ vars.list[-4] }}", "1:4: 'vars.list[-4]' is undefined (the list has 3 items)"],
    ["{{ vars.no_items[0] }}", "1:4: 'vars.no_items[0]' is undefined (the list is empty)"],
    ["{{ vars.list[vars.zero + 5] }}", "1:4: 'vars.list[5]' is undefined (the list has 3 items)"],
    ["{{ vars.name[9] }}", "1:4: 'vars.name[9]' is undefined (the string has 5 characters)"],
    ["{{ vars.empty[0] }}", "1:4: 'vars.empty[0]' is undefined (the string is empty)"],
    ["{{ vars.list.first }}", "1:4: 'vars.list.first' is undefined ('vars.list' is a list)"],
    ["{{ vars.name.upper }}", "1:4: 'vars.name.upper' is undefined ('vars.name' is a string)"],
    ["{{ vars.port.number }}", "1:4: 'vars.port.number' is undefined ('vars.port' is a number)"],
    ["{{ vars.enabled.x }}", "1:4: 'vars.enabled.x' is undefined ('vars.enabled' is a boolean)"],
    ["{{ vars.nothing.x }}", "1:4: 'vars.nothing.x' is undefined ('vars.nothing' is none)"],
    ["{{ vars.users[1].shell.x }}", "1:4: 'vars.users[1].shell.x' is undefined ('vars.users[1].shell' is none)"],
    ["{{ ([1] | first).x }}", "1:5: '([1] | first).x' is undefined ('([1] | first)' is a number)"],
    ["line 1\n  line 2 {{ vars.net.gw }}", "2:13: 'vars.net.gw' is undefined (did you mean 'vars.net.ip'?)"],
    // undefined in every position that reads a value
    ["{% if vars.missing %}x{% endif %}", "1:7: 'vars.missing' is undefined"],
    ["{% for x in vars.missing %}x{% endfor %}", "1:13: 'vars.missing' is undefined"],
    ["{{ vars.missing | upper }}", "1:4: 'vars.missing' is undefined"],
    ["{{ vars.missing | length }}", "1:4: 'vars.missing' is undefined"],
    ["{{ 'a' | replace(vars.missing, 'b') }}", "1:18: 'vars.missing' is undefined"],
    ["{{ vars.missing == 1 }}", "1:4: 'vars.missing' is undefined"],
    ["{{ vars.missing is none }}", "1:4: 'vars.missing' is undefined"],
    ["{{ vars.missing or 'x' }}", "1:4: 'vars.missing' is undefined"],
    ["{{ 'x' if vars.missing else 'y' }}", "1:11: 'vars.missing' is undefined"],
    ["{% set x = vars.missing %}", "1:12: 'vars.missing' is undefined"],
    ["{{ vars.missing.deeper.still }}", "1:4: 'vars.missing' is undefined"],
    // default() guards its whole input chain, but nothing else
    ["{{ (vars.missing ~ 'x') | default('y') }}", "1:5: 'vars.missing' is undefined"],
    ["{{ vars.net[vars.missing] | default('y') }}", "1:13: 'vars.missing' is undefined"],
    ["{{ vars.missing | upper | default('y') }}", "1:4: 'vars.missing' is undefined"],
    ["{{ vars.missing | default(vars.other) }}", "1:27: 'vars.other' is undefined"],
    // loop variables are names too
    ["{% for u in vars.users %}{{ u.nmae }}{% endfor %}", "1:29: 'u.nmae' is undefined (did you mean 'u.name'?)"],
    ["{% for u in vars.users %}{{ loop.idx }}{% endfor %}", "1:29: 'loop.idx' is undefined (did you mean 'loop.index'?)"],
    ["{% for u in vars.users %}{{ uu }}{% endfor %}", "1:29: 'uu' is undefined (did you mean 'u'?)"],
    ["{{ loop.index }}", "1:4: 'loop' is undefined"],
  ]);

  renders([
    ["{{ vars.missing | default('a') }}", "a"],
    ["{{ vars.missing | d('a') }}", "a"],
    ["[{{ vars.missing | default }}]", "[]"],
    ["{{ vars.nothing | default('was none') }}", "was none"],
    ["{{ vars.missing.deeper.still | default('deep') }}", "deep"],
    ["{{ vars.list[7] | default('past the end') }} {{ vars.name.x | default('attr of a string') }}", "past the end attr of a string"],
    ["{{ hosts['kvm-9'].ip | default('10.0.0.1') }} {{ hosts['kvm-1'].ip | default('10.0.0.1') }}", "10.0.0.1 10.0.1.1"],
    ["{{ nope | default('root') }}", "root"],
    ["{{ vars.empty | default('x') }}|{{ vars.empty | default('x', true) }}|{{ vars.zero | default(5, boolean=true) }}", "|x|5"],
    ["{{ vars.port | default(1) }} {{ vars.enabled | default(false) }}", "8080 true"],
    ["{{ vars.missing | default(vars.other | default('second')) }}", "second"],
    ["{{ vars.missing | default([]) | length }} {{ vars.missing | default({}) | tojson }}", "0 {}"],
    ["{{ vars.missing is defined }} {{ vars.missing is not defined }} {{ vars.missing is undefined }}", "false true true"],
    ["{{ vars.port is defined }} {{ vars.nothing is defined }} {{ vars.nothing is none }}", "true true true"],
    ["{{ vars.a.b.c is defined }} {{ hosts['kvm-1'].ip is defined }} {{ vars.list[9] is defined }}", "false true false"],
    ["{% if vars.missing is defined %}{{ vars.missing }}{% else %}absent{% endif %}", "absent"],
    ["{% if vars.missing is defined and vars.missing.x %}{{ vars.missing.x }}{% endif %}", ""],
    ["{{ vars.missing.x if vars.missing is defined else 'no' }}", "no"],
    ["{{ vars.nothing | string }}|{{ vars.nothing | default('') }}|", "||"],
  ]);

  describe("rendering none, lists and maps directly is an error", () => {
    failures([
      ["{{ vars.nothing }}", "1:4: 'vars.nothing' is none: use '| default(...)' for a fallback, or '| string' to render it as empty text"],
      ["{{ none }}", "1:4: 'none' is none: use '| default(...)' for a fallback, or '| string' to render it as empty text"],
      ["{{ vars.users[1].shell }}", "1:4: 'vars.users[1].shell' is none: use '| default(...)' for a fallback, or '| string' to render it as empty text"],
      ["{{ vars.packages }}", "1:4: 'vars.packages' is a list: render it with '| join(...)', '| tojson' or '| toyaml'"],
      ["{{ [1, 2] }}", "1:4: '[1, 2]' is a list: render it with '| join(...)', '| tojson' or '| toyaml'"],
      ["{{ vars.net }}", "1:4: 'vars.net' is a map: render it with '| tojson' or '| toyaml'"],
      ["{{ vars.packages | first if false else vars.net }}", "1:4: 'vars.packages | first if false else vars.net' is a map: render it with '| tojson' or '| toyaml'"],
    ]);
  });
});

describe("statements", () => {
  renders([
    ["{% if vars.enabled %}on{% endif %}", "on"],
    ["{% if vars.zero %}a{% elif vars.empty %}b{% elif vars.port > 80 %}c{% else %}d{% endif %}", "c"],
    ["{% if false %}a{% elif false %}b{% else %}d{% endif %}", "d"],
    ["{% if false %}a{% endif %}", ""],
    ["{% if vars.list %}{% if 2 in vars.list %}both{% endif %}{% endif %}", "both"],
    ["{% for p in vars.packages %}{{ p }};{% endfor %}", "nginx;curl;"],
    [
      "{% for p in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.length }}{{ loop.first }}{{ loop.last }} {% endfor %}",
      "10323truefalse 21213falsefalse 32103falsetrue ",
    ],
    ["{% for p in vars.packages %}{{ p }}{% if not loop.last %}, {% endif %}{% endfor %}", "nginx, curl"],
    ["{% for x in vars.no_items %}{{ x }}{% else %}none at all{% endfor %}", "none at all"],
    ["{% for x in vars.list %}{{ x }}{% else %}none at all{% endfor %}", "123"],
    ["{% for k in vars.net %}{{ k }} {% endfor %}", "ip mask "],
    ["{% for k, v in vars.net | items %}{{ k }}={{ v }} {% endfor %}", "ip=10.0.0.5 mask=24 "],
    ["{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }} {% endfor %}", "3 7 "],
    ["{% for x in vars.list if x > 1 %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% endfor %}", "2:1/2 3:2/2 "],
    ["{% for x in vars.list if x > 5 %}{{ x }}{% else %}filtered out{% endfor %}", "filtered out"],
    ["{% for u in vars.users %}{% for g in u.groups %}{{ u.name }}:{{ g }}:{{ loop.index }} {% endfor %}{% endfor %}", "ann:adm:1 ann:sudo:2 "],
    ["{% for i in range(3) %}{{ i }}{% endfor %} {% for i in range(1, 4) %}{{ i }}{% endfor %} {% for i in range(10, 0, -3) %}{{ i }},{% endfor %}", "012 123 10,7,4,1,"],
    ["{% for i in range(0) %}x{% endfor %}{% for i in range(5, 1) %}x{% endfor %}", ""],
    ["{% set greeting = 'hi ' ~ vars.name %}{{ greeting }}", "hi web-1"],
    ["{% set n = 1 %}{% set n = n + 1 %}{{ n }}", "2"],
    ["{% set x = 'outer' %}{% for i in [1] %}{% set x = 'inner' %}{{ x }} {% endfor %}{{ x }}", "inner outer"],
    ["{% if true %}{% set x = 'from if' %}{% endif %}{{ x }}", "from if"],
    ["{% for p in vars.packages %}{% set last = p %}{% endfor %}{{ last | default('loop sets do not leak') }}", "loop sets do not leak"],
    ["{% set vars = {'name': 'shadowed'} %}{{ vars.name }}", "shadowed"],
    ["{% raw %}{{ .Names }} {% if %} {# x #}{% endraw %}", "{{ .Names }} {% if %} {# x #}"],
    ["docker ps --format '{% raw %}{{.Names}}{% endraw %}'", "docker ps --format '{{.Names}}'"],
    ["echo {% raw %}${#PATH}{% endraw %}", "echo ${#PATH}"],
  ]);
  failures([
    ["{% for x in vars.nothing %}{% endfor %}", "1:13: cannot loop over none ('vars.nothing') (use '| default([])' for none)"],
    ["{% for x in vars.name %}{% endfor %}", "1:13: cannot loop over a string ('vars.name') (use '| list' to loop over its characters)"],
    ["{% for x in vars.port %}{% endfor %}", "1:13: cannot loop over a number ('vars.port')"],
    ["{% for a, b in vars.list %}{% endfor %}", "1:16: cannot unpack a number into 2 loop variables"],
    ["{% for a, b in [[1, 2, 3]] %}{% endfor %}", "1:16: cannot unpack a list of 3 items into 2 loop variables"],
    ["{% for i in range(1.5) %}{% endfor %}", "1:13: range() takes integers, got 1.5"],
    ["{% for i in range(1, 5, 0) %}{% endfor %}", "1:13: range() step must not be zero"],
  ]);
});

describe("whitespace control", () => {
  renders([
    ["[main]\n{% for s in ['a', 'b'] %}\nserver {{ s }}\n{% endfor %}\nend\n", "[main]\nserver a\nserver b\nend\n"],
    ["  {% if true %}\n    indented\n  {% endif %}\ndone", "    indented\ndone"],
    ["a\n{# a comment line #}\nb", "a\nb"],
    ["a\n  {% if true %}{% if true %}  \nb\n{% endif %}{% endif %}\n", "a\nb\n"],
    ["{% if true %}\r\nwindows\r\n{% endif %}\r\nend", "windows\r\nend"],
    ["ExecStart=/bin/app{% if true %} --debug{% endif %}\nNext=1", "ExecStart=/bin/app --debug\nNext=1"],
    ["{{ 'out' }}\n{% if true %}x{% endif %}\n", "out\nx\n"],
    ["line {% if true %}\nnext{% endif %}", "line \nnext"],
    ["{% raw %}\n{{ x }}\n{% endraw %}\n", "{{ x }}\n"],
    ["a  \n  {{- 'b' -}}  \n  c", "abc"],
    ["a {%- if true -%} b {%- endif -%} c", "abc"],
    ["a {#- comment -#} b", "ab"],
    ["{% for x in [1, 2] -%}\n  {{ x }}\n{%- endfor %}", "12"],
  ]);
});

describe("filters", () => {
  renders([
    // default is covered under strictness
    ["{{ vars.packages | join }} {{ vars.packages | join(', ') }} {{ [1, true, 'x'] | join('-') }}", "nginxcurl nginx, curl 1-true-x"],
    ["{{ vars.users | join(',', attribute='name') }} {{ vars.users | join(attribute='uid') }}", "ann,bob 10011002"],
    ["{{ 'MiXed' | upper }} {{ 'MiXed' | lower }} {{ 'hello WORLD' | capitalize }} {{ vars.port | upper }}", "MIXED mixed Hello world 8080"],
    ["[{{ '  x y  ' | trim }}] [{{ '--x--' | trim('-') }}] [{{ 'xyabcyx' | trim('xy') }}]", "[x y] [x] [abc]"],
    ["{{ 'héllo' | length }} {{ vars.packages | length }} {{ vars.net | length }} {{ vars.net | count }}", "5 2 2 2"],
    ["{{ vars.packages | first }} {{ vars.packages | last }} {{ 'abc' | first }} {{ 'abc' | last }}", "nginx curl a c"],
    ["{{ '42' | int }} {{ ' -7 ' | int }} {{ '3.7' | int }} {{ 3.7 | int }} {{ true | int }} {{ 'x' | int(0) }} {{ none | int(-1) }}", "42 -7 3 3 1 0 -1"],
    ["{{ 'ff' | int(base=16) }} {{ '0x1F' | int(0, 16) }} {{ '0b101' | int(base=2) }} {{ '0o17' | int(base=8) }} {{ '1_000' | int }}", "255 31 5 15 1000"],
    ["{{ '1.5' | float }} {{ '2' | float }} {{ '-.5e1' | float }} {{ 3 | float }} {{ 'x' | float(0.5) }}", "1.5 2 -5 3 0.5"],
    ["{{ 1.5 | string }} {{ true | string }} [{{ none | string }}] {{ 'x' | string }}", "1.5 true [] x"],
    ["{{ 'yes' | bool }} {{ 'Off' | bool }} {{ '1' | bool }} {{ 0 | bool }} {{ none | bool }} {{ true | bool }}", "true false true false false true"],
    ["{{ vars.net | tojson }} {{ 'a\"b' | tojson }} {{ none | tojson }} {{ 1.5 | tojson }}", '{"ip":"10.0.0.5","mask":24} "a\\"b" null 1.5'],
    ["{{ {'a': [1]} | tojson(2) }}", '{\n  "a": [\n    1\n  ]\n}'],
    ["{{ vars.net | toyaml }}", "ip: 10.0.0.5\nmask: 24"],
    ["{{ {'list': [1, 'yes', none], 'map': {'on': 'off'}, 'multi': 'a\nb\n'} | toyaml }}", 'list:\n  - 1\n  - "yes"\n  - null\nmap:\n  "on": "off"\nmulti: |\n  a\n  b'],
    ["{{ {'a': {'b': 1}} | toyaml(indent=4) }}", "a:\n    b: 1"],
    ["{{ [] | toyaml }} {{ 'text' | toyaml }} {{ '08' | toyaml }}", '[] text "08"'],
    ["{{ 'a-b-c' | replace('-', '+') }} {{ 'a-b-c' | replace('-', '', 1) }} {{ 'aaa' | replace('a', 'b', count=2) }} {{ 1.2 | replace('.', '_') }}", "a+b+c ab-c bba 1_2"],
    ["{{ 'ab' | replace('', '-') }} {{ 'ab' | replace('', '-', 2) }} {{ 'a$b' | replace('$', '$$') }} {{ 'aaaa' | replace('aa', 'b') }} {{ 'abc' | replace('x', 'y') }}", "-a-b- -a-b a$$b bb abc"],
    ["{{ 'a,b,,c' | split(',') | tojson }} {{ '  a  b c ' | split | tojson }} {{ '' | split | tojson }}", '["a","b","","c"] ["a","b","c"] []'],
    ["{{ 'a,b,c' | split(',', 1) | tojson }} {{ ' a b  c ' | split(none, 1) | tojson }} {{ 'a b' | split(maxsplit=0) | tojson }}", '["a","b,c"] ["a","b  c "] ["a b"]'],
    ["{{ 'simple-word_1.2:x@y%z+=,/' | quote }} {{ '' | quote }} {{ 'two words' | quote }} {{ \"it's\" | quote }} {{ 42 | quote }}", "simple-word_1.2:x@y%z+=,/ '' 'two words' 'it'\"'\"'s' 42"],
    ["{{ 'héllo wörld' | b64encode }} {{ 'aMOpbGxvIHfDtnJsZA==' | b64decode }} {{ '' | b64encode }}|", "aMOpbGxvIHfDtnJsZA== héllo wörld |"],
    ["{{ 'aGk=\n' | b64decode }}", "hi"],
    ["{{ vars.words | sort | join }} {{ vars.words | sort(reverse=true) | join }} {{ vars.words | sort(case_sensitive=false) | join }}", "Caab baaC aabC"],
    ["{{ [3, 1, 2] | sort | join }} {{ [10, 9, 100] | sort | join(',') }} {{ vars.users | sort(attribute='uid', reverse=true) | map(attribute='name') | join }}", "123 9,10,100 bobann"],
    ["{{ vars.words | unique | join }} {{ ['A', 'a', 'b'] | unique(case_sensitive=false) | join }} {{ [1, '1', 1, [1], [1]] | unique | tojson }}", 'baC Ab [1,"1",[1]]'],
    ["{{ [{'a': 1, 'b': 2}, {'b': 2, 'a': 1}] | unique | length }} {{ vars.users | unique(attribute='shell') | length }}", "1 2"],
    ["{{ vars.list | reverse | join }} {{ 'abc' | reverse }} {{ 'ab' | list | tojson }} {{ vars.net | list | join(',') }}", "321 cba [\"a\",\"b\"] ip,mask"],
    ["{{ vars.net | keys | join(',') }} {{ vars.net | values | join(',') }} {{ vars.net | items | tojson }}", 'ip,mask 10.0.0.5,24 [["ip","10.0.0.5"],["mask",24]]'],
    ["{{ vars.users | map(attribute='name') | join(',') }} {{ vars.users | map(attribute='groups.0', default='-') | join(',') }}", "ann,bob adm,-"],
    ["{{ vars.packages | map('upper') | join(',') }} {{ vars.packages | map('replace', 'n', 'N') | join(',') }}", "NGINX,CURL NgiNx,curl"],
    ["{{ ['a b', 'c'] | map('quote') | join(' ') }}", "'a b' c"],
    ["{{ [0, 1, '', 'x', none, [], [0]] | select | tojson }} {{ [0, 1, '', 'x'] | reject | tojson }}", '[1,"x",[0]] [0,""]'],
    ["{{ vars.list | select('odd') | join }} {{ vars.list | reject('odd') | join }} {{ vars.list | select('gt', 1) | join }} {{ vars.list | select('in', [1, 3]) | join }}", "13 2 23 13"],
    ["{{ [1, 'a', none] | select('string') | join }} {{ [1, 'a', none] | reject('none') | tojson }}", 'a [1,"a"]'],
    ["{{ vars.users | selectattr('shell') | map(attribute='name') | join }} {{ vars.users | rejectattr('shell') | map(attribute='name') | join }}", "ann bob"],
    ["{{ vars.users | selectattr('uid', 'gt', 1001) | map(attribute='name') | join }} {{ vars.users | selectattr('shell', 'none') | map(attribute='name') | join }}", "bob bob"],
    ["{{ [{'a': 1}, {'b': 2}] | selectattr('a', 'defined') | tojson }} {{ [{'a': 1}, {'b': 2}] | rejectattr('a', 'defined') | tojson }} {{ [{'a': 1}, {'b': 2}] | selectattr('a', 'undefined') | length }}", '[{"a":1}] [{"b":2}] 1'],
    ["{{ [3, 1, 2] | min }} {{ [3, 1, 2] | max }} {{ ['b', 'a'] | min }} {{ ['b', 'A'] | min(case_sensitive=false) }} {{ (vars.users | max(attribute='uid')).name }}", "1 3 a A bob"],
    ["{{ vars.list | sum }} {{ vars.list | sum(start=10) }} {{ vars.users | sum(attribute='uid') }} {{ [] | sum }}", "6 16 2003 0"],
    ["{{ -3 | abs }} {{ 2.5 | round }} {{ -2.5 | round }} {{ 3.14159 | round(2) }} {{ 2.1 | round(method='ceil') }} {{ 2.9 | round(0, 'floor') }}", "3 3 -3 3.14 3 2"],
    ["{{ [1, [2, [3, [4]]]] | flatten | join }} {{ [1, [2, [3, [4]]]] | flatten(levels=1) | tojson }}", "1234 [1,2,[3,[4]]]"],
    ["{{ 'a\nb\n\nc' | indent }}", "a\n    b\n\n    c"],
    ["{{ 'a\nb' | indent(2, true) }} {{ 'a\n\nb' | indent(width='> ', blank=true) }}", "  a\n  b a\n> \n> b"],
    ["{{ '/etc/nginx/nginx.conf' | basename }} {{ '/etc/nginx/nginx.conf' | dirname }} {{ 'file' | dirname }}|{{ '/x' | dirname }} {{ 'a/b/' | basename }}|", "nginx.conf /etc/nginx |/ |"],
  ]);
  test("tojson refuses non-finite numbers", () => {
    fails("{{ x | tojson }}", "1:8: filter 'tojson': Infinity is not a finite number", { x: Infinity });
    fails("{{ [x] | tojson }}", "1:10: filter 'tojson': NaN is not a finite number (at [0])", { x: NaN });
  });
  failures([
    ["{{ vars.net | join }}", "1:15: filter 'join': expected a list, got a map"],
    ["{{ [1, none] | join }}", "1:16: filter 'join': item 1 is none; join takes strings, numbers and booleans"],
    ["{{ [[1]] | join }}", "1:12: filter 'join': item 0 is a list; join takes strings, numbers and booleans"],
    ["{{ vars.packages | join(1) }}", "1:20: filter 'join': 'sep' must be a string, got a number"],
    ["{{ vars.users | join(attribute='shell') }}", "1:17: filter 'join': item 1 is none; join takes strings, numbers and booleans"],
    ["{{ vars.users | join(attribute='home') }}", "1:17: filter 'join': item 0 has no attribute 'home'"],
    ["{{ vars.packages | upper }}", "1:20: filter 'upper': expected a string, got a list"],
    ["{{ vars.nothing | upper }}", "1:19: filter 'upper': expected a string, got none"],
    ["{{ vars.port | length }}", "1:16: filter 'length': expected a string, list or map, got a number"],
    ["{{ vars.no_items | first }}", "1:20: filter 'first': the list is empty"],
    ["{{ '' | last }}", "1:9: filter 'last': the string is empty"],
    ["{{ 'abc' | int }}", "1:12: filter 'int': cannot convert \"abc\" to an integer (give a default: int(0))"],
    ["{{ vars.packages | int }}", "1:20: filter 'int': cannot convert a list to an integer (give a default: int(0))"],
    ["{{ '12' | int(base=7) }}", "1:11: filter 'int': 'base' must be 2, 8, 10 or 16, got 7"],
    ["{{ '1.2.3' | float }}", "1:14: filter 'float': cannot convert \"1.2.3\" to a number (give a default: float(0))"],
    ["{{ vars.packages | string }}", "1:20: filter 'string': cannot convert a list to a string (use '| tojson' or '| join(...)')"],
    ["{{ 'maybe' | bool }}", "1:14: filter 'bool': cannot read \"maybe\" as a boolean (true/false, yes/no, on/off, 1/0)"],
    ["{{ 'a' | replace(1, 'b') }}", "1:10: filter 'replace': 'old' must be a string, got a number"],
    ["{{ 'a,b' | split('') }}", "1:12: filter 'split': empty separator"],
    ["{{ '%%%' | b64decode }}", "1:12: filter 'b64decode': not valid base64"],
    ["{{ '/w==' | b64decode }}", "1:13: filter 'b64decode': the decoded bytes are not UTF-8 text"],
    ["{{ [1, 'a'] | sort }}", "1:15: filter 'sort': can only order numbers or strings, not a mix (a number, a string)"],
    ["{{ [true, false] | sort }}", "1:20: filter 'sort': can only order numbers or strings, not a mix (a boolean)"],
    ["{{ vars.users | sort(attribute='shell') }}", "1:17: filter 'sort': can only order numbers or strings, not a mix (a string, none)"],
    ["{{ vars.list | keys }}", "1:16: filter 'keys': expected a map, got a list"],
    ["{{ vars.list | items }}", "1:16: filter 'items': expected a map, got a list"],
    ["{{ vars.users | map(attribute='home') | join }}", "1:17: filter 'map': item 0 has no attribute 'home' (give map(attribute='home', default=...))"],
    ["{{ ['a', none] | map('upper') | join }}", "1:18: filter 'map': item 1: filter 'upper': expected a string, got none"],
    ["{{ [1] | map('nope') | join }}", "1:10: filter 'map': unknown filter 'nope'"],
    ["{{ [1] | map('uper') | join }}", "1:10: filter 'map': unknown filter 'uper' (did you mean 'upper'?)"],
    ["{{ [1] | map('upper', attribute='x') }}", "1:10: filter 'map': give either a filter name or attribute=, not both"],
    ["{{ [1] | map }}", "1:10: filter 'map': give a filter name (map('upper')) or attribute= (map(attribute='name'))"],
    ["{{ [1] | select('xyzzy') }}", "1:10: filter 'select': unknown test 'xyzzy'"],
    ["{{ [1] | select('od') }}", "1:10: filter 'select': unknown test 'od' (did you mean 'odd'?)"],
    ["{{ [1.5] | select('odd') }}", "1:12: filter 'select': test 'odd': expected an integer, got a number"],
    ["{{ vars.users | selectattr('home', 'none') }}", "1:17: filter 'selectattr': item 0 has no attribute 'home'"],
    ["{{ [] | min }}", "1:9: filter 'min': the list is empty"],
    ["{{ ['a', 1] | sum }}", "1:15: filter 'sum': item 0 is a string; sum takes numbers"],
    ["{{ 'a' | abs }}", "1:10: filter 'abs': expected a number, got a string"],
    ["{{ 1.5 | round(method='up') }}", "1:10: filter 'round': 'method' must be 'common', 'ceil' or 'floor', got 'up'"],
    ["{{ vars.net | toyaml(indent=0) }}", "1:15: filter 'toyaml': 'indent' must be between 1 and 10, got 0"],
  ]);
  test("the list of filters and tests", () => {
    assert.deepEqual(FILTER_NAMES, [
      "abs", "b64decode", "b64encode", "basename", "bool", "capitalize", "count", "d", "default", "dirname", "first", "flatten", "float", "indent",
      "int", "items", "join", "keys", "last", "length", "list", "lower", "map", "max", "min", "quote", "reject", "rejectattr", "replace", "reverse",
      "round", "select", "selectattr", "sort", "split", "string", "sum", "tojson", "toyaml", "trim", "unique", "upper", "values",
    ]);
    assert.deepEqual(TEST_NAMES, [
      "boolean", "defined", "divisibleby", "endswith", "eq", "equalto", "even", "false", "float", "ge", "greaterthan", "gt", "in", "integer", "le",
      "lessthan", "list", "lt", "mapping", "ne", "none", "number", "odd", "startswith", "string", "true", "undefined",
    ]);
  });
});

describe("tests (is ...)", () => {
  renders([
    ["{{ none is none }} {{ 0 is none }} {{ true is boolean }} {{ 1 is boolean }} {{ true is true }} {{ 1 is true }} {{ false is false }}", "true false true false true false true"],
    ["{{ 'a' is string }} {{ 1 is string }} {{ 1 is number }} {{ 1.5 is number }} {{ '1' is number }}", "true false true true false"],
    ["{{ 1 is integer }} {{ 1.5 is integer }} {{ 1.5 is float }} {{ 1 is float }}", "true false true false"],
    ["{{ [] is list }} {{ {} is list }} {{ {} is mapping }} {{ vars.net is mapping }} {{ 'a' is mapping }}", "true false true true false"],
    ["{{ 3 is odd }} {{ -3 is odd }} {{ 4 is even }} {{ 9 is divisibleby(3) }} {{ 10 is divisibleby(3) }}", "true true true true false"],
    ["{{ 1 is eq(1) }} {{ [1] is equalto([1]) }} {{ 1 is ne(2) }} {{ 1 is lt(2) }} {{ 2 is le(2) }} {{ 3 is gt(2) }} {{ 3 is ge(4) }}", "true true true true true true false"],
    ["{{ 2 is in([1, 2]) }} {{ 'a' is in('cat') }} {{ 'web-1' is startswith('web') }} {{ 'x.conf' is endswith('.conf') }} {{ 1 is startswith('1') }}", "true true true true false"],
    ["{{ 1 is not none }} {{ vars.port is not string }} {{ not vars.port is string }}", "true true true"],
    ["{{ vars.list | first is odd }}", "true"],
  ]);
  failures([
    ["{{ 'a' is odd }}", "1:11: test 'odd': expected an integer, got a string"],
    ["{{ 3 is divisibleby(0) }}", "1:9: test 'divisibleby': division by zero"],
    ["{{ 1 is lt('a') }}", "1:9: test 'lt': cannot compare a number and a string with '<'"],
    ["{{ 1 is in(2) }}", "1:9: test 'in': 'in' needs a string, list or map on the right, got a number"],
  ]);
});

describe("syntax errors, with positions", () => {
  const rows: [string, string][] = [
    ["abc {{ x", "1:9: unclosed '{{' opened at 1:5"],
    ["abc {{ x }", "1:11: unclosed '{{' opened at 1:5"],
    ["a\nb {% if x", "2:10: unclosed '{%' opened at 2:3"],
    ["{{ 'abc }}", "1:4: unterminated string"],
    ["{{ x }} {{ 'oops", "1:17: unclosed '{{' opened at 1:9"],
    ["{# never closed", "1:16: unclosed comment '{#' opened at 1:1 (a shell '${#var}' needs {% raw %}...{% endraw %} around it)"],
    ["echo ${#PATH}", "1:14: unclosed comment '{#' opened at 1:7 (a shell '${#var}' needs {% raw %}...{% endraw %} around it)"],
    ["{% raw %}abc", "1:13: unclosed '{% raw %}' opened at 1:1 (expected '{% endraw %}')"],
    ["{% if x %}", "1:11: unclosed '{% if %}' opened at 1:1 (expected '{% endif %}')"],
    ["{% for x in y %}\n{% if x %}{% endif %}", "2:22: unclosed '{% for %}' opened at 1:1 (expected '{% endfor %}')"],
    ["{% endif %}", "1:1: unexpected '{% endif %}': no '{% if %}' is open"],
    ["{% endfor %}", "1:1: unexpected '{% endfor %}': no '{% for %}' is open"],
    ["{% else %}", "1:1: unexpected '{% else %}': no '{% if %}' is open"],
    ["{% endraw %}", "1:1: unexpected '{% endraw %}': no '{% raw %}' is open"],
    ["{% if x %}\n{% endfor %}", "2:1: unexpected '{% endfor %}': expected '{% endif %}' to close '{% if %}' opened at 1:1"],
    ["{% for x in y %}{% elif z %}{% endfor %}", "1:17: unexpected '{% elif %}': expected '{% endfor %}' to close '{% for %}' opened at 1:1"],
    ["{% if x %}{% else %}{% else %}{% endif %}", "1:21: unexpected '{% else %}': expected '{% endif %}' to close '{% if %}' opened at 1:1"],
    ["{% if x %}{% else %}{% elif y %}{% endif %}", "1:21: unexpected '{% elif %}': expected '{% endif %}' to close '{% if %}' opened at 1:1"],
    ["{% if a %}{% else if b %}{% endif %}", "1:19: unexpected 'if' after 'else' (use '{% elif ... %}')"],
    ["{% if x %}{% endif x %}", "1:20: unexpected 'x' after 'endif'"],
    ["{% if %}{% endif %}", "1:7: expected a condition after 'if'"],
    ["{% include 'x.j2' %}", "1:4: unknown statement 'include'"],
    ["{% endfro %}", "1:4: unknown statement 'endfro' (did you mean 'endfor'?)"],
    ["{% %}", "1:4: empty statement"],
    ["{% 'x' %}", "1:4: unexpected string 'x', expected a statement name"],
    ["{{ }}", "1:1: empty expression '{{ }}'"],
    ["{{ a b }}", "1:6: unexpected 'b'"],
    ["{{ 'a' 'b' }}", "1:8: unexpected string 'b'"],
    ["{{ 1 + }}", "1:8: unexpected end of expression"],
    ["{{ (1 + 2 }}", "1:11: unexpected end of expression, expected ')'"],
    ["{{ [1, 2 }}", "1:10: unexpected end of expression, expected ']'"],
    ["{{ a if b else }}", "1:16: unexpected end of expression"],
    ["{{ a. }}", "1:7: unexpected end of expression, expected an attribute name after '.'"],
    ["{{ a[] }}", "1:6: empty subscript"],
    ["{{ a.0 }}", "1:6: unexpected '0' after '.' (index with brackets: [0])"],
    ["{{ a | }}", "1:8: unexpected end of expression, expected a filter name after '|'"],
    ["{{ a is }}", "1:9: unexpected end of expression, expected a test name after 'is'"],
    ["{{ and }}", "1:4: unexpected 'and'"],
    ["{{ 1abc }}", "1:4: invalid number '1a'"],
    ["{{ a $ b }}", "1:6: unexpected character '$'"],
    ["{{ $x }}", "1:4: unexpected character '$'; to write it literally, use {{ '{{' }} or {% raw %}...{% endraw %}"],
    ["docker ps --format '{{.Names}}'", "1:23: unexpected '.'; to write it literally, use {{ '{{' }} or {% raw %}...{% endraw %}"],
    [String.raw`{{ '\x4' }}`, String.raw`1:5: invalid escape '\x4'' in a string`],
    ["{{ a | nope }}", "1:8: unknown filter 'nope'"],
    ["{{ a | uper }}", "1:8: unknown filter 'uper' (did you mean 'upper'?)"],
    ["{{ a | to_json }}", "1:8: unknown filter 'to_json' (did you mean 'tojson'?)"],
    ["{{ a is defind }}", "1:9: unknown test 'defind' (did you mean 'defined'?)"],
    ["{{ a | join(',', 'x', 'y') }}", "1:8: filter 'join': takes at most 2 positional arguments (3 given)"],
    ["{{ a | upper(1) }}", "1:8: filter 'upper': takes no positional arguments (1 given)"],
    ["{{ a | replace('x') }}", "1:8: filter 'replace': missing argument 'new'"],
    ["{{ a | upper(x=1) }}", "1:8: filter 'upper': unexpected keyword argument 'x'"],
    ["{{ a | join(',', sep=',') }}", "1:8: filter 'join': got argument 'sep' twice"],
    ["{{ a | join(sep=',', 'x') }}", "1:22: a positional argument cannot follow keyword arguments"],
    ["{{ a is divisibleby }}", "1:9: test 'divisibleby': missing argument 'num'"],
    ["{{ a is divisibleby(num=3) }}", "1:25: test 'divisibleby': tests take positional arguments only"],
    ["{{ foo(1) }}", "1:4: unknown function 'foo' (the only function is range())"],
    ["{{ upper(x) }}", "1:4: unknown function 'upper' ('upper' is a filter: 'x | upper')"],
    ["{{ range() }}", "1:4: function 'range': missing argument 'start'"],
    ["{{ range(stop=3) }}", "1:15: function 'range': takes positional arguments only"],
    ["{{ range(1, 2, 3, 4) }}", "1:4: function 'range': takes at most 3 positional arguments (4 given)"],
    ["{{ vars.name.upper() }}", "1:19: calls are not supported (use the filter: '| upper')"],
    ["{{ vars.net.items() }}", "1:18: calls are not supported (use the filter: '| items')"],
    ["{{ vars.s.startswith('a') }}", "1:21: calls are not supported (use filters: 'x | name(...)')"],
    ["{% for loop in x %}{% endfor %}", "1:1: 'loop' is reserved (it holds loop.index, loop.first...)"],
    ["{% for in x %}{% endfor %}", "1:8: unexpected 'in', expected a loop variable after 'for'"],
    ["{% for x y %}{% endfor %}", "1:10: unexpected 'y', expected 'in'"],
    ["{% set = 1 %}", "1:8: unexpected '=', expected a variable name after 'set'"],
    ["{% set x 1 %}", "1:10: unexpected '1', expected '='"],
    ["{% set x = %}", "1:12: expected a value after 'set x ='"],
    ["{% set loop = 1 %}", "1:8: 'loop' is reserved (it holds loop.index, loop.first...)"],
    ["line one\nline two {{ x | }}\n", "2:17: unexpected end of expression, expected a filter name after '|'"],
  ];
  for (const [src, message] of rows) test(`${JSON.stringify(src)}: ${message}`, () => syntaxFails(src, message));

  test("a TemplateSyntaxError is a TemplateError with line, col and reason", () => {
    try {
      compileTemplate("ok\n  {{ a | nope }}");
      assert.fail("should not compile");
    } catch (e) {
      assert.ok(e instanceof TemplateSyntaxError && e instanceof TemplateError);
      assert.equal(e.name, "TemplateSyntaxError");
      assert.deepEqual([e.line, e.col, e.reason, e.path], [2, 10, "unknown filter 'nope'", undefined]);
    }
  });
});

describe("prototype safety", () => {
  failures([
    ["{{ vars.constructor }}", "1:4: 'vars.constructor' is undefined"],
    ["{{ vars['__proto__'] }}", "1:4: 'vars.__proto__' is undefined"],
    ["{{ vars.__proto__.polluted }}", "1:4: 'vars.__proto__' is undefined"],
    ["{{ vars.toString }}", "1:4: 'vars.toString' is undefined"],
    ["{{ vars.hasOwnProperty }}", "1:4: 'vars.hasOwnProperty' is undefined"],
    ["{{ vars.packages.length }}", "1:4: 'vars.packages.length' is undefined ('vars.packages' is a list)"],
    ["{{ vars.packages['constructor'] }}", "1:4: 'vars.packages.constructor' is undefined ('vars.packages' is a list)"],
    ["{{ vars.name.length }}", "1:4: 'vars.name.length' is undefined ('vars.name' is a string)"],
    ["{{ constructor }}", "1:4: 'constructor' is undefined"],
    ["{{ __proto__ }}", "1:4: '__proto__' is undefined"],
    ["{{ {}.constructor }}", "1:4: '({}).constructor' is undefined"],
    ["{{ ''['constructor'] }}", "1:4: '('').constructor' is undefined ('('')' is a string)"],
    ["{{ range.constructor }}", "1:4: 'range' is undefined"],
  ]);
  test("prototype reads are undefined, so default() and 'is defined' see nothing", () => {
    assert.equal(render("{{ vars.constructor | default('safe') }} {{ vars.__proto__ is defined }} {{ vars.toString is defined }}"), "safe false false");
  });
  test("an own '__proto__' key (from JSON) is ordinary data", () => {
    const m = JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>;
    assert.equal(render("{{ m['__proto__'].x }}", { m }), "1");
  });
  test("class instances, functions and other objects are opaque, and nothing is called", () => {
    let called = false;
    class Box {
      field = "hidden";
      method() {
        called = true;
        return "x";
      }
    }
    const ctx = { box: new Box(), date: new Date(0), fn: () => (called = true), map: new Map([["a", 1]]) };
    fails("{{ box.field }}", "1:4: 'box.field' is undefined ('box' is an unsupported value)", ctx);
    fails("{{ box.method }}", "1:4: 'box.method' is undefined ('box' is an unsupported value)", ctx);
    fails("{{ date.getTime }}", "1:4: 'date.getTime' is undefined ('date' is an unsupported value)", ctx);
    fails("{{ map.a }}", "1:4: 'map.a' is undefined ('map' is an unsupported value)", ctx);
    fails("{{ fn }}", "1:4: 'fn' is an unsupported value and cannot be rendered", ctx);
    fails("{{ fn.call }}", "1:4: 'fn.call' is undefined ('fn' is an unsupported value)", ctx);
    fails("{{ [fn] | tojson }}", "1:11: filter 'tojson': an unsupported value cannot be converted (at [0])", ctx);
    assert.equal(render("{{ fn is defined }} {{ box is mapping }}", ctx), "true false");
    assert.equal(called, false);
  });
  test("getters are not run, and not seen", () => {
    let ran = false;
    const m: Record<string, unknown> = { plain: 1 };
    Object.defineProperty(m, "computed", { enumerable: true, get: () => ((ran = true), "x") });
    fails("{{ m.computed }}", "1:4: 'm.computed' is undefined", { m });
    assert.equal(render("{{ m | length }} {{ m | keys | join }}", { m }), "1 plain");
    assert.equal(ran, false);
  });
  test("non-enumerable properties and undefined values are not there", () => {
    const m: Record<string, unknown> = { gone: undefined };
    Object.defineProperty(m, "hidden", { enumerable: false, value: 1 });
    fails("{{ m.hidden }}", "1:4: 'm.hidden' is undefined", { m });
    fails("{{ m.gone }}", "1:4: 'm.gone' is undefined", { m });
    assert.equal(render("{{ m | length }}", { m }), "0");
  });
  test("a template cannot change its context", () => {
    const ctx = { vars: { list: [3, 1, 2], m: { a: 1 } } };
    render("{{ vars.list | sort | join }}{{ vars.list | reverse | join }}{% set x = vars.m %}{{ vars.m | items | length }}", ctx);
    assert.deepEqual(ctx, { vars: { list: [3, 1, 2], m: { a: 1 } } });
  });
  test("the sources use no eval, Function or dynamic import", () => {
    const dir = new URL("../../server/template/", import.meta.url);
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(new URL(file, dir), "utf8");
      assert.doesNotMatch(text, /\beval\s*\(|new Function|\bFunction\s*\(|import\s*\(/, file);
    }
  });
});

describe("limits", () => {
  test("loop iterations", () => {
    const src = "{% for i in range(10) %}\n{% for j in range(10) %}x{% endfor %}{% endfor %}";
    assert.equal(render(src, {}, { maxIterations: 110 }).length, 100);
    fails(src, "2:1: loops ran over the limit of 50 iterations", {}, { maxIterations: 50 });
  });
  test("inline loop conditions count as iterations", () => {
    fails("{% for i in xs if i > 100 %}{% endfor %}", "1:1: loops ran over the limit of 10 iterations", { xs: new Array(20).fill(1) }, { maxIterations: 10 });
  });
  test("output size", () => {
    assert.equal(render("{{ 'x' * 50 }}", {}, { maxOutput: 50 }).length, 50);
    fails("ab{{ 'x' * 49 }}", "1:6: the output is over the limit of 50 characters", {}, { maxOutput: 50 });
    fails("{% for i in range(100) %}xx{% endfor %}", "1:26: the output is over the limit of 50 characters", {}, { maxOutput: 50 });
  });
  test("big strings and lists fail before they are built", () => {
    fails("{{ 'x' * 10 ** 12 }}", "1:8: the result is over the limit of 4194304 characters");
    fails("{{ range(10 ** 9) | length }}", "1:4: the list would have 1000000000 items, over the limit of 100000");
    fails("{{ 'ab' | replace('', 'x' * 60) }}", "1:11: filter 'replace': the result is over the limit of 100 characters", {}, { maxOutput: 100 });
    fails("{{ vars.a | join(',' * 60) }}", "1:13: filter 'join': the result is over the limit of 100 characters", { vars: { a: ["a", "b", "c"] } }, { maxOutput: 100 });
    fails("{{ s | indent(1000) }}", "1:8: filter 'indent': the result is over the limit of 10000 characters", { s: "\n".repeat(100) }, { maxOutput: 10_000 });
    fails("{{ 'ab' | replace('b', s) }}", "1:11: filter 'replace': the result is over the limit of 100 characters", { s: "x".repeat(100) }, { maxOutput: 100 });
    fails("{{ 'ab' | replace('b', s, 0) }}|{{ 'ab' | replace('b', s, 1) }}", "1:43: filter 'replace': the result is over the limit of 100 characters", { s: "x".repeat(100) }, { maxOutput: 100 });
  });
  test("doubling a list with set stops at the item limit", () => {
    const src = "{% set a = [0] %}" + "{% set a = a + a %}".repeat(20) + "{{ a | length }}";
    // The tenth doubling (its '+', at column 17 + 9 * 19 + 14) would make 1024 items.
    fails(src, "1:202: the list would have 1024 items, over the limit of 1000", {}, { maxIterations: 1000 });
  });
  test("the defaults, which an option left undefined does not switch off", () => {
    assert.deepEqual(DEFAULT_LIMITS, { maxOutput: 4 * 1024 * 1024, maxIterations: 100_000 });
    fails("{{ 'x' * 5000000 }}", "1:8: the result is over the limit of 4194304 characters", {}, { maxOutput: undefined });
    fails("{% for i in range(100000) %}{% for j in [1, 2] %}{% endfor %}{% endfor %}", "1:29: loops ran over the limit of 100000 iterations", {}, { maxIterations: undefined });
  });
  test("deep nesting is a syntax error, not a stack overflow", () => {
    syntaxFails(`{{ ${"(".repeat(500)}1${")".repeat(500)} }}`, "1:104: expression nested more than 100 levels deep");
    syntaxFails(`{{ ${"not ".repeat(500)}1 }}`, "1:400: expression nested more than 100 levels deep");
    syntaxFails(`{{ ${"-".repeat(500)}1 }}`, "1:103: expression nested more than 100 levels deep");
    syntaxFails(`{{ 1${" + 1".repeat(300)} }}`, "1:4: expression too complex (more than 250 levels)");
    syntaxFails(`{{ x${" | upper".repeat(300)} }}`, "1:4: expression too complex (more than 250 levels)");
    syntaxFails("{% if x %}".repeat(150) + "{% endif %}".repeat(150), "1:1001: blocks nested more than 100 levels deep");
  });
  test("pathological inputs stay linear (no regular expression backtracking)", () => {
    const started = Date.now();
    const digits = "1".repeat(100_000);
    fails("{{ s | float }}", `1:8: filter 'float': cannot convert "${digits}x" to a number (give a default: float(0))`, { s: `${digits}x` });
    assert.equal(render("{{ s | dirname }}", { s: `${"/".repeat(100_000)}a/b` }).length, 100_001);
    assert.equal(render(`a${" ".repeat(100_000)}b${" ".repeat(100_000)}\n  {% if true %}{% endif %}\nx`).length, 200_004);
    assert.equal(render(`a${" ".repeat(100_000)}b${" ".repeat(100_000)} {{- 'c' }}`), `a${" ".repeat(100_000)}bc`);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });
  test("a long flat template is fine", () => {
    const src = "{{ x }},".repeat(20_000);
    assert.equal(render(src, { x: 1 }).length, 40_000);
  });
  test("cyclic data fails cleanly in tojson", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    fails("{{ a | tojson }}", `1:8: filter 'tojson': the value is nested more than 200 levels deep at ${".self".repeat(201)} (is it cyclic?)`, { a });
  });
});

describe("references() for lint", () => {
  const refs = (src: string) => compileTemplate(src).references();
  const paths = (src: string) => refs(src).map((r) => `${r.path.map(String).join("/")}${r.guarded ? " (guarded)" : ""}`);

  test("a command with a list of packages", () => {
    assert.deepEqual(refs("apt-get install -y {{ vars.packages | map('quote') | join(' ') }}"), [
      { path: ["vars", "packages"], line: 1, col: 23, guarded: false },
    ]);
  });
  test("earlier step results, other hosts, host facts", () => {
    assert.deepEqual(refs("kubeadm join {{ hosts['kvm-1'].ip }}:6443 --token {{ steps['make token'].stdout | trim }} --node-name {{ host.name }}"), [
      { path: ["hosts", "kvm-1", "ip"], line: 1, col: 17, guarded: false },
      { path: ["steps", "make token", "stdout"], line: 1, col: 54, guarded: false },
      { path: ["host", "name"], line: 1, col: 106, guarded: false },
    ]);
  });
  test("paths stop at the first non-constant subscript; the subscript is a read of its own", () => {
    assert.deepEqual(paths("{{ hosts[vars.peer].ip }} {{ vars.m[vars.k][0] }}"), ["hosts", "vars/peer", "vars/m", "vars/k"]);
    assert.deepEqual(paths("{{ vars.list[0].name }} {{ vars.list[-1] }} {{ vars['a b'] }} {{ vars.list[1 + 1] }}"), [
      "vars/list/0/name",
      "vars/list/-1",
      "vars/a b",
      "vars/list",
    ]);
    assert.deepEqual(
      refs("{{ vars.list[-1] }}").map((r) => r.path),
      [["vars", "list", -1]],
    );
    assert.deepEqual(paths("{{ vars.name[:3] }} {{ vars.list[vars.a:vars.b] }} {{ (vars.x | first).y }}"), ["vars/name", "vars/list", "vars/a", "vars/b", "vars/x"]);
  });
  test("default() and is defined guard their input", () => {
    assert.deepEqual(paths("{{ vars.a | default('x') }} {{ vars.b.c | d }} {{ vars.e is defined }} {{ vars.f is not defined }} {{ vars.g is undefined }}"), [
      "vars/a (guarded)",
      "vars/b/c (guarded)",
      "vars/e (guarded)",
      "vars/f (guarded)",
      "vars/g (guarded)",
    ]);
    assert.deepEqual(paths("{{ vars.m[vars.k] | default(vars.fallback) }} {{ vars.a | upper | default('x') }} {{ vars.n is none }}"), [
      "vars/m (guarded)",
      "vars/k",
      "vars/fallback",
      "vars/a",
      "vars/n",
    ]);
  });
  test("if blocks guard what their condition proves defined", () => {
    const src = [
      "{% if vars.a is defined %}{{ vars.a }} {{ vars.a.deep }}{% endif %}",
      "{% if vars.b is defined and vars.c is defined %}{{ vars.b }}{{ vars.c }}{% else %}{{ vars.b }}{% endif %}",
      "{% if vars.d is not defined %}{{ vars.d }}{% else %}{{ vars.d }}{% endif %}",
      "{% if vars.e is defined %}{% elif vars.f is defined %}{{ vars.e }}{{ vars.f }}{% else %}{{ vars.f }}{% endif %}",
      "{% if vars.g is defined or vars.h is defined %}{{ vars.g }}{% endif %}",
      "{% if not vars.i is defined %}{{ vars.i }}{% else %}{{ vars.i }}{% endif %}",
      "{% if vars.j %}{{ vars.j }}{% endif %}",
    ].join("\n");
    assert.deepEqual(paths(src), [
      "vars/a (guarded)", "vars/a (guarded)", "vars/a/deep (guarded)",
      "vars/b (guarded)", "vars/c (guarded)", "vars/b (guarded)", "vars/c (guarded)", "vars/b",
      "vars/d (guarded)", "vars/d", "vars/d (guarded)",
      "vars/e (guarded)", "vars/f (guarded)", "vars/e", "vars/f (guarded)", "vars/f",
      "vars/g (guarded)", "vars/h (guarded)", "vars/g",
      "vars/i (guarded)", "vars/i", "vars/i (guarded)",
      "vars/j", "vars/j",
    ]);
  });
  test("guards inside expressions: and, or, the conditional expression", () => {
    assert.deepEqual(paths("{{ vars.a is defined and vars.a.b }} {{ vars.c is not defined or vars.c.d }} {{ vars.e.f if vars.e is defined else vars.e }}"), [
      "vars/a (guarded)",
      "vars/a/b (guarded)",
      "vars/c (guarded)",
      "vars/c/d (guarded)",
      "vars/e/f (guarded)",
      "vars/e (guarded)",
      "vars/e",
    ]);
  });
  test("a guard on a longer path guards its prefixes", () => {
    assert.deepEqual(paths("{% if vars.a.b is defined %}{{ vars.a | tojson }}{{ vars.x }}{% endif %}"), ["vars/a/b (guarded)", "vars/a (guarded)", "vars/x"]);
  });
  test("loop variables, loop and set names are local", () => {
    const src = "{% for u in vars.users if u.enabled %}{{ u.name }} {{ loop.index }} {{ vars.domain }}{% set tmp = u.name %}{{ tmp }}{% endfor %}{{ tmp | default('') }}";
    assert.deepEqual(paths(src), ["vars/users", "vars/domain", "tmp (guarded)"]);
    assert.deepEqual(paths("{% for k, v in vars.net | items %}{{ k }}={{ v }}{% endfor %}{{ k }}"), ["vars/net", "k"]);
    assert.deepEqual(paths("{{ x }}{% set x = vars.y %}{{ x }}{{ x.z }}"), ["x", "vars/y"]);
    assert.deepEqual(paths("{% for x in [1] %}{% endfor %}{{ loop }}"), ["loop"]);
    assert.deepEqual(paths("{% for i in range(vars.n) %}{% endfor %}{% for x in vars.a %}{% else %}{{ x }}{% endfor %}"), ["vars/n", "vars/a", "x"]);
  });
  test("positions on a multi-line file template", () => {
    const src = "# managed by flightdeck\n{% for s in vars.servers %}\nserver {{ s }} port={{ vars.port | default(80) }}\n{% endfor %}\n{{ host.name }}\n";
    assert.deepEqual(refs(src), [
      { path: ["vars", "servers"], line: 2, col: 13, guarded: false },
      { path: ["vars", "port"], line: 3, col: 24, guarded: true },
      { path: ["host", "name"], line: 5, col: 4, guarded: false },
    ]);
  });
  test("every place an expression can be: filter arguments, tests, literals, conditions", () => {
    assert.deepEqual(paths("{{ [vars.a, {'k': vars.b}] | join(vars.c) }}{{ vars.d is in(vars.e) }}{% if vars.f %}{% elif vars.g %}{% endif %}{{ -vars.h ~ vars.i }}"), [
      "vars/a", "vars/b", "vars/c", "vars/d", "vars/e", "vars/f", "vars/g", "vars/h", "vars/i",
    ]);
  });
  test("no references in text, comments and raw blocks; references() returns copies", () => {
    assert.deepEqual(refs("plain {# {{ vars.a }} #}{% raw %}{{ vars.b }}{% endraw %}"), []);
    const t = compileTemplate("{{ vars.a }}");
    t.references()[0]!.path.push("mutated");
    assert.deepEqual(t.references()[0]!.path, ["vars", "a"]);
  });
});

describe("renderValue for step params", () => {
  const params = {
    cmd: "apt-get install -y {{ vars.packages | join(' ') }}",
    packages: "{{ vars.packages }}",
    port: "{{ vars.port }}",
    label: "port {{ vars.port }}",
    padded: " {{ vars.port }}",
    files: [{ path: "/etc/motd", content: "Welcome to {{ host.name }}\n", mode: 420 }],
    net: "{{ vars.net }}",
    enabled: "{{ vars.enabled }}",
    untouched: "no templates here",
    other: [1, true, null],
    "{{ keys }}": "are not rendered",
  };
  test("renders every string, keeping the types of single expressions", () => {
    assert.deepEqual(renderValue(params, CTX), {
      cmd: "apt-get install -y nginx curl",
      packages: ["nginx", "curl"],
      port: 8080,
      label: "port 8080",
      padded: " 8080",
      files: [{ path: "/etc/motd", content: "Welcome to web-1\n", mode: 420 }],
      net: { ip: "10.0.0.5", mask: 24 },
      enabled: true,
      untouched: "no templates here",
      other: [1, true, null],
      "{{ keys }}": "are not rendered",
    });
  });
  test("returns new structures, with copies of context data", () => {
    const out = renderValue(params, CTX) as { packages: string[]; other: unknown[] };
    assert.notEqual(out.packages, CTX.vars.packages);
    assert.notEqual(out.other, params.other);
    out.packages.push("x");
    assert.deepEqual(CTX.vars.packages, ["nginx", "curl"]);
  });
  test("native: false renders everything to text", () => {
    assert.deepEqual(renderValue({ port: "{{ vars.port }}", b: "{{ vars.enabled }}" }, CTX, { native: false }), { port: "8080", b: "true" });
    assert.throws(() => renderValue({ p: "{{ vars.packages }}" }, CTX, { native: false, path: "params" }), {
      message: "params.p:1:4: 'vars.packages' is a list: render it with '| join(...)', '| tojson' or '| toyaml'",
    });
  });
  test("errors carry the path inside the value", () => {
    const cases: [unknown, string][] = [
      [{ cmd: "echo {{ vars.pakages }}" }, "params.cmd:1:9: 'vars.pakages' is undefined (did you mean 'vars.packages'?)"],
      [{ files: [{ content: "a\n{{ vars.motd }}" }] }, "params.files[0].content:2:4: 'vars.motd' is undefined"],
      [{ "run as": "{{ vars.nothing }}" }, "params['run as']:1:4: 'vars.nothing' is none: use '| default(...)' for a fallback, or '| string' to render it as empty text"],
      [["{{ 1 }}", "{{ 1 / 0 }}"], "params[1]:1:6: division by zero"],
    ];
    for (const [value, message] of cases) {
      assert.throws(
        () => renderValue(value, CTX, { path: "params" }),
        (e: unknown) => e instanceof TemplateError && !(e instanceof TemplateSyntaxError) && e.message === message && e.path === message.split(":")[0],
      );
    }
  });
  test("syntax errors carry the path too, as TemplateSyntaxError", () => {
    assert.throws(
      () => renderValue({ steps: [{ cmd: "echo {{ x" }] }, CTX, { path: "params" }),
      (e: unknown) => e instanceof TemplateSyntaxError && e.message === "params.steps[0].cmd:1:10: unclosed '{{' opened at 1:6" && e.reason === "unclosed '{{' opened at 1:6",
    );
  });
  test("without a path, the first key starts it", () => {
    assert.throws(() => renderValue({ cmd: "{{ x }}" }, {}), { message: "cmd:1:4: 'x' is undefined" });
    assert.throws(() => renderValue("{{ x }}", {}), { message: "1:4: 'x' is undefined" });
  });
  test("plain scalars pass through", () => {
    assert.equal(renderValue("text", CTX), "text");
    assert.equal(renderValue(5, CTX), 5);
    assert.equal(renderValue(null, CTX), null);
    assert.equal(renderValue("{{ 'a' }}{{ 'b' }}", CTX), "ab");
  });
  test("limits apply", () => {
    assert.throws(() => renderValue({ a: "{% for i in xs %}{% endfor %}" }, { xs: [1, 2, 3] }, { maxIterations: 2 }), { message: "a:1:1: loops ran over the limit of 2 iterations" });
  });
});

describe("isTemplate", () => {
  test("finds template syntax", () => {
    assert.equal(isTemplate("{{ x }}"), true);
    assert.equal(isTemplate("a {% if x %}"), true);
    assert.equal(isTemplate("{# note #}"), true);
    assert.equal(isTemplate("echo ${#PATH}"), true);
    assert.equal(isTemplate("plain { text } with {braces} and %} #}"), false);
    assert.equal(isTemplate(""), false);
    assert.equal(isTemplate("{ {"), false);
  });
});

describe("a compiled template", () => {
  test("renders many contexts, and renders the same every time", () => {
    const t = compileTemplate("{{ vars.name }}:{% for p in vars.packages %}{{ p }}{% endfor %}");
    assert.equal(t.render({ vars: { name: "a", packages: ["x"] } }), "a:x");
    assert.equal(t.render({ vars: { name: "b", packages: [] } }), "b:");
    assert.equal(t.render({ vars: { name: "a", packages: ["x"] } }), "a:x");
    assert.equal(t.source, "{{ vars.name }}:{% for p in vars.packages %}{{ p }}{% endfor %}");
  });
  test("renderNative gives typed values for a single expression, text otherwise", () => {
    assert.deepEqual(compileTemplate("{{ vars.list | select('odd') }}").renderNative(CTX), [1, 3]);
    assert.equal(compileTemplate("{{ 1 + 1 }}").renderNative(CTX), 2);
    assert.equal(compileTemplate("{{ 1 + 1 }} ").renderNative(CTX), "2 ");
    assert.throws(() => compileTemplate("{{ vars.nothing }}").renderNative(CTX), { message: "1:4: 'vars.nothing' is none: use '| default(...)' for a fallback, or '| string' to render it as empty text" });
  });
  test("the context must be a plain object", () => {
    assert.throws(() => compileTemplate("x").render(new Map() as unknown as Record<string, unknown>), TypeError);
  });
});

describe("the quote filter, checked by /bin/sh", () => {
  const strings = [
    "",
    "simple",
    "two words",
    "it's",
    "''",
    "'",
    "a'b'c",
    '"double" quotes',
    "$HOME and ${HOME} and $((1+1))",
    "`id` and $(id)",
    "back\\slash\\",
    "\\'",
    "line\nbreak\n",
    "tab\there",
    "glob * ? [a-z] ~ ~root",
    "; rm -rf / && echo pwned | cat > /tmp/x &",
    "-n",
    "--flag=value",
    "!history !! #comment",
    "unicode: é ✓ 😀",
    "{braces} (parens) <angle>",
    "\r\n\t\u0001",
  ];
  for (const s of strings) {
    test(`${JSON.stringify(s)} round-trips through printf %s`, () => {
      const cmd = render("printf %s {{ s | quote }}", { s });
      const out = execFileSync("/bin/sh", ["-c", cmd], { encoding: "utf8" });
      assert.equal(out, s);
    });
  }
  test("a list of quoted arguments keeps each one whole", () => {
    const args = ["a b", "c'd", "$e", ""];
    const cmd = render("printf '[%s]' {{ args | map('quote') | join(' ') }}", { args });
    assert.equal(execFileSync("/bin/sh", ["-c", cmd], { encoding: "utf8" }), "[a b][c'd][$e][]");
  });
});
