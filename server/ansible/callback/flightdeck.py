# Flightdeck's Ansible callback: one JSON object per line, per event, on a pipe that Flightdeck opened for it
# (the file descriptor in FLIGHTDECK_EVENTS_FD), never on stdout, where modules and other plugins may print.
# Flightdeck turns them into step events as they come (server/ansible/playbook/events.ts reads them).
#
# Lines: {"e": "play", ...}, {"e": "task", "uuid", "name", "handler"}, {"e": "start", "host", "uuid"},
# {"e": "result", "host", "uuid", "status": ok|changed|skipped|failed|unreachable, "ignored", "rescued",
# "msg", "stdout", "stderr", "rc", "skip_reason", "detail"}, {"e": "item", ...}, {"e": "retry", ...},
# {"e": "diff", ...}, {"e": "stats", "hosts": {...}}. Text fields are cut at MAX_TEXT characters.
from __future__ import annotations

DOCUMENTATION = """
    name: flightdeck
    type: stdout
    short_description: Flightdeck's event stream
    description:
      - Writes one JSON line per event to the file descriptor named by FLIGHTDECK_EVENTS_FD, for Flightdeck.
"""

import json
import os
import time

from ansible.playbook.block import Block
from ansible.plugins.callback import CallbackBase

MAX_TEXT = 64 * 1024
CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"


def _text(value):
    if value is None:
        return None
    if not isinstance(value, str):
        value = json.dumps(value, default=str, sort_keys=True)
    if len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "\n[flightdeck: cut at %d characters]" % MAX_TEXT
    return value


def _rescued(task):
    """Whether a failure of `task` is handled by the `rescue` of a block it sits in (Ansible then counts it as rescued)."""
    child, parent = task, getattr(task, "_parent", None)
    while parent is not None:
        if isinstance(parent, Block) and parent.rescue:
            uuid = getattr(child, "_uuid", None)
            if any(getattr(t, "_uuid", None) == uuid for t in parent.block):
                return True
        child, parent = parent, getattr(parent, "_parent", None)
    return False


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "flightdeck"

    def __init__(self):
        super().__init__()
        self._fd = int(os.environ.get("FLIGHTDECK_EVENTS_FD", "3"))

    def _emit(self, event):
        event["t"] = round(time.time() * 1000)
        data = (json.dumps(event, default=str, separators=(",", ":")) + "\n").encode("utf-8", "replace")
        while data:
            written = os.write(self._fd, data)
            data = data[written:]

    @staticmethod
    def _host(result):
        return result._host.get_name()

    def _task_event(self, task, handler):
        # An unnamed task goes by its action, as --list-tasks prints it (get_name() would prefix a role's with
        # "ROLE : "), so it takes the planned step instead of appearing beside it.
        name = task.get_name().strip() if task.name else task.action
        self._emit({"e": "task", "uuid": task._uuid, "name": name, "handler": handler})

    def _fields(self, result):
        res = result._result
        if res.get("_ansible_no_log", False) or getattr(result._task, "no_log", False):
            return {"msg": CENSORED}
        out = {}
        for key in ("msg", "stdout", "stderr"):
            value = res.get(key)
            if value not in (None, ""):
                out[key] = _text(value)
        if isinstance(res.get("rc"), int):
            out["rc"] = res["rc"]
        if res.get("skip_reason"):
            out["skip_reason"] = _text(res["skip_reason"])
        if result._task.action in ("debug", "ansible.builtin.debug", "ansible.legacy.debug") and "msg" not in out:
            shown = {k: v for k, v in res.items() if not k.startswith("_") and k not in ("changed", "failed", "skipped")}
            if shown:
                out["msg"] = _text(shown)
        return out

    def _result(self, result, status, **extra):
        event = {"e": "result", "host": self._host(result), "uuid": result._task._uuid, "status": status}
        event.update(self._fields(result))
        event.update(extra)
        if status == "failed" and not any(k in event for k in ("msg", "stdout", "stderr")):
            # A failure with nothing to say in words: the result itself, as Ansible's own output would show it.
            shown = {k: v for k, v in result._result.items() if not k.startswith("_")}
            event["detail"] = _text(shown)
        self._emit(event)

    def v2_playbook_on_play_start(self, play):
        self._emit({"e": "play", "name": play.get_name().strip()})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_event(task, False)

    def v2_playbook_on_handler_task_start(self, task):
        self._task_event(task, True)

    def v2_playbook_on_cleanup_task_start(self, task):
        self._task_event(task, True)

    def v2_runner_on_start(self, host, task):
        self._emit({"e": "start", "host": host.get_name(), "uuid": task._uuid})

    def v2_runner_on_ok(self, result):
        self._result(result, "changed" if result._result.get("changed", False) else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if ignore_errors:
            self._result(result, "failed", ignored=True)
        else:
            self._result(result, "failed", rescued=_rescued(result._task))

    def v2_runner_on_skipped(self, result):
        self._result(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._result(result, "unreachable", ignored=bool(getattr(result._task, "ignore_unreachable", False)))

    def _item(self, result, status):
        res = result._result
        event = {"e": "item", "host": self._host(result), "uuid": result._task._uuid, "status": status, "item": _text(self._get_item_label(res))}
        event.update(self._fields(result))
        self._emit(event)

    def v2_runner_item_on_ok(self, result):
        self._item(result, "changed" if result._result.get("changed", False) else "ok")

    def v2_runner_item_on_failed(self, result):
        self._item(result, "failed")

    def v2_runner_item_on_skipped(self, result):
        self._item(result, "skipped")

    def v2_runner_retry(self, result):
        res = result._result
        self._emit(
            {
                "e": "retry",
                "host": self._host(result),
                "uuid": result._task._uuid,
                "attempts": res.get("attempts"),
                "retries": res.get("retries"),
                "msg": CENSORED if res.get("_ansible_no_log", False) else _text(res.get("msg")),
            }
        )

    def v2_on_file_diff(self, result):
        diff = result._result.get("diff")
        if not diff or result._result.get("_ansible_no_log", False):
            return
        text = self._get_diff(diff)
        if text:
            self._emit({"e": "diff", "host": self._host(result), "uuid": result._task._uuid, "text": _text(text)})

    def v2_playbook_on_no_hosts_matched(self):
        self._emit({"e": "notice", "msg": "no hosts matched this play"})

    def v2_playbook_on_stats(self, stats):
        self._emit({"e": "stats", "hosts": {h: stats.summarize(h) for h in sorted(stats.processed.keys())}})
