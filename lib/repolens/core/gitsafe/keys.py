"""The table of configuration keys that name a program git runs, as data, with what
keeps each from running; the keys that keep git to reading; and the environment git
runs in, built rather than inherited."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "DOCUMENTED_PROGRAM_KEYS",
    "NULL",
    "PROGRAM_KEYS",
    "SAFETY_OVERRIDES",
    "Guard",
    "environment",
    "overrides",
]

NULL = os.devnull


@dataclass(frozen=True, slots=True)
class Guard:
    """A configuration key git's documentation says names a program (as the
    documentation writes it), and what keeps it from running: ``value`` is given on
    git's command line (for a key with a ``<name>`` or ``*`` part, once for each name
    the repository's configuration uses); None when no value can stand in, and ``why``
    says what does."""

    key: str
    value: str | None
    why: str = ""


_NOT_RUN = "never run by repolens, which asks git only to read"
_STAND_IN = "the repository's configuration is never given to git (stand-in git folder)"

PROGRAM_KEYS: tuple[Guard, ...] = (
    Guard("core.fsmonitor", "false", "read with the index: a hook or the daemon"),
    Guard("core.hooksPath", NULL, "a folder that holds no hook"),
    Guard("core.sshCommand", ""),
    Guard("core.askPass", ""),
    Guard("core.editor", ":", "git's own no-op editor"),
    Guard("core.pager", "cat", "git runs no pager for 'cat'"),
    Guard("core.gitProxy", "none", "the documented 'no proxy'"),
    Guard("core.alternateRefsCommand", ""),
    Guard("sequence.editor", ":"),
    Guard("pager.<cmd>", "false"),
    Guard("alias.*", None, "an alias runs only when asked for by its name; " + _NOT_RUN),
    Guard("alias.*.command", None, "as alias.*"),
    Guard("browser.<tool>.cmd", ""),
    Guard("browser.<tool>.path", ""),
    Guard("help.browser", ""),
    Guard("web.browser", ""),
    Guard("instaweb.browser", ""),
    Guard("instaweb.httpd", ""),
    Guard("man.viewer", ""),
    Guard("man.<tool>.cmd", ""),
    Guard("man.<tool>.path", ""),
    Guard("credential.helper", "", "an empty value clears the list of helpers"),
    Guard("credential.<url>.helper", ""),
    Guard("diff.external", ""),
    Guard("diff.<driver>.command", ""),
    Guard("diff.<driver>.textconv", ""),
    Guard("diff.tool", ""),
    Guard("diff.guitool", ""),
    Guard("difftool.<tool>.cmd", ""),
    Guard("difftool.<tool>.path", ""),
    Guard("merge.tool", ""),
    Guard("merge.guitool", ""),
    Guard("mergetool.<tool>.cmd", ""),
    Guard("mergetool.<tool>.path", ""),
    Guard("merge.<driver>.driver", ""),
    Guard("filter.<driver>.clean", ""),
    Guard("filter.<driver>.smudge", ""),
    Guard("filter.<driver>.process", ""),
    Guard("gpg.program", NULL, "not a program: nothing can run"),
    Guard("gpg.openpgp.program", NULL),
    Guard("gpg.x509.program", NULL),
    Guard("gpg.ssh.program", NULL),
    Guard("gpg.<format>.program", NULL),
    Guard("gpg.ssh.defaultKeyCommand", ""),
    Guard("log.showSignature", "false", "signatures would be checked by gpg.program"),
    Guard("merge.verifySignatures", "false"),
    Guard("gc.auto", "0", "no automatic gc (and no pre-auto-gc hook)"),
    Guard("gc.recentObjectsHook", ""),
    Guard("maintenance.auto", "false"),
    Guard("guitool.<name>.cmd", ""),
    Guard("hook.<friendly-name>.command", ""),
    Guard("hook.<friendly-name>.event", "", "an empty value clears the hook's events"),
    Guard("imap.tunnel", ""),
    Guard("interactive.diffFilter", ""),
    Guard("protocol.allow", "never", "no transport at all"),
    Guard("protocol.<name>.allow", "never"),
    Guard("protocol.ext.allow", "never"),
    Guard("protocol.file.allow", "never"),
    Guard("receive.procReceiveRefs", ""),
    Guard("remote.<name>.uploadpack", ""),
    Guard("remote.<name>.receivepack", ""),
    Guard("remote.<name>.vcs", ""),
    Guard("remote.<name>.proxy", ""),
    Guard("http.proxy", ""),
    Guard("url.<base>.insteadOf", None, "rewrites addresses only, and no transport is allowed"),
    Guard("sendemail.sendmailCmd", ""),
    Guard("sendemail.smtpServer", ""),
    Guard("sendemail.toCmd", ""),
    Guard("sendemail.ccCmd", ""),
    Guard("sendemail.headerCmd", ""),
    Guard("sendemail.<identity>.<config>", None, "git send-email is " + _NOT_RUN),
    Guard("submodule.<name>.update", "none"),
    Guard("tar.<format>.command", ""),
    Guard("trailer.<key-alias>.cmd", ""),
    Guard("trailer.<key-alias>.command", ""),
    Guard("uploadpack.packObjectsHook", ""),
    Guard("include.path", None, _STAND_IN + ", so it includes nothing"),
    Guard("includeIf.<condition>.path", None, _STAND_IN + ", so it includes nothing"),
)
"""Every key of ``DOCUMENTED_PROGRAM_KEYS``, and a few more that reach a program only
through another (a transport, a signature check), with what keeps it from running."""

DOCUMENTED_PROGRAM_KEYS: frozenset[str] = frozenset(
    {
        # git-config(1) of git 2.39 and of git's documentation to 2.5x: each names a
        # program, a shell command, a hook, a helper, a pager, an editor or a browser
        "alias.*",
        "alias.*.command",
        "browser.<tool>.cmd",
        "browser.<tool>.path",
        "core.alternateRefsCommand",
        "core.askPass",
        "core.editor",
        "core.fsmonitor",
        "core.gitProxy",
        "core.hooksPath",
        "core.pager",
        "core.sshCommand",
        "credential.helper",
        "credential.<url>.helper",
        "diff.<driver>.command",
        "diff.<driver>.textconv",
        "diff.external",
        "diff.guitool",
        "diff.tool",
        "difftool.<tool>.cmd",
        "difftool.<tool>.path",
        "filter.<driver>.clean",
        "filter.<driver>.process",
        "filter.<driver>.smudge",
        "gc.recentObjectsHook",
        "gpg.<format>.program",
        "gpg.program",
        "gpg.ssh.defaultKeyCommand",
        "guitool.<name>.cmd",
        "help.browser",
        "hook.<friendly-name>.command",
        "hook.<friendly-name>.event",
        "imap.tunnel",
        "include.path",
        "includeIf.<condition>.path",
        "instaweb.browser",
        "instaweb.httpd",
        "interactive.diffFilter",
        "man.<tool>.cmd",
        "man.<tool>.path",
        "man.viewer",
        "merge.<driver>.driver",
        "merge.guitool",
        "merge.tool",
        "mergetool.<tool>.cmd",
        "mergetool.<tool>.path",
        "pager.<cmd>",
        "protocol.<name>.allow",
        "protocol.allow",
        "receive.procReceiveRefs",
        "remote.<name>.proxy",
        "remote.<name>.receivepack",
        "remote.<name>.uploadpack",
        "remote.<name>.vcs",
        "sendemail.<identity>.<config>",
        "sendemail.ccCmd",
        "sendemail.headerCmd",
        "sendemail.sendmailCmd",
        "sendemail.smtpServer",
        "sendemail.toCmd",
        "sequence.editor",
        "submodule.<name>.update",
        "tar.<format>.command",
        "trailer.<key-alias>.cmd",
        "trailer.<key-alias>.command",
        "uploadpack.packObjectsHook",
        "url.<base>.insteadOf",
        "web.browser",
        "http.proxy",
    }
)

SAFETY_OVERRIDES: tuple[tuple[str, str], ...] = (
    # Not programs, but what keeps git to reading, and reading what the repository
    # records: no files named by configuration, no rewriting of what is shown.
    ("core.attributesFile", NULL),
    ("core.excludesFile", NULL),
    ("core.untrackedCache", "false"),
    ("core.useReplaceRefs", "false"),
    ("feature.manyFiles", "false"),
    ("gc.autoDetach", "false"),
    ("submodule.recurse", "false"),
    ("log.mailmap", "false"),
    ("mailmap.file", NULL),
    ("mailmap.blob", ""),
    ("log.follow", "false"),
    ("diff.relative", "false"),
    ("diff.orderFile", NULL),
    ("i18n.logOutputEncoding", "UTF-8"),
    ("color.ui", "never"),
    ("fetch.writeCommitGraph", "false"),
)


def _wildcard(key: str) -> re.Pattern[str] | None:
    """The names a key with a ``<name>`` or ``*`` part stands for, as a pattern of the
    names git lists (section and variable in lower case); None for a plain key."""
    parts = re.split(r"(<[^>]+>|\*)", key)
    if len(parts) == 1:
        return None
    pattern = "".join("(.+)" if index % 2 else re.escape(part) for index, part in enumerate(parts))
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


_WILDCARDS = tuple(
    (pattern, guard.value)
    for guard in PROGRAM_KEYS
    if guard.value is not None and (pattern := _wildcard(guard.key)) is not None
)


def overrides(names: Iterable[str] = ()) -> list[str]:
    """git's ``-c`` arguments: every plain key of ``PROGRAM_KEYS`` and
    ``SAFETY_OVERRIDES``, then each of ``names`` (keys the repository's configuration
    sets) that a key with a ``<name>`` part stands for. A name git could not take on
    its command line (holding ``=``, a newline or NUL) is left out: git never reads the
    repository's configuration anyway."""
    pairs = [(guard.key, guard.value) for guard in PROGRAM_KEYS if guard.value is not None]
    pairs = [(key, value) for key, value in pairs if _wildcard(key) is None]
    pairs += SAFETY_OVERRIDES
    seen = {key.lower() for key, _value in pairs}
    for name in names:
        if any(char in name for char in "=\n\0") or name.lower() in seen:
            continue
        for pattern, value in _WILDCARDS:
            if value is not None and pattern.fullmatch(name):
                pairs.append((name, value))
                seen.add(name.lower())
                break
    out: list[str] = []
    for key, value in pairs:
        out += ["-c", f"{key}={value}"]
    return out


def environment(home: str) -> dict[str, str]:
    """The environment git runs in: built, not inherited (``PATH`` and ``TMPDIR`` are
    kept), with ``home`` an empty folder for ``HOME`` and ``XDG_CONFIG_HOME``."""
    env = {
        name: os.environ[name] for name in ("PATH", "TMPDIR", "SYSTEMROOT") if name in os.environ
    }
    env.update(
        {
            "HOME": home,
            "XDG_CONFIG_HOME": home,
            "LC_ALL": "C",
            "LANG": "C",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_SYSTEM": NULL,
            "GIT_CONFIG_GLOBAL": NULL,
            "GIT_ATTR_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "",
            "SSH_ASKPASS": "",
            "GIT_PAGER": "cat",
            "PAGER": "cat",
            "GIT_EDITOR": ":",
            "EDITOR": ":",
            "VISUAL": ":",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_OPTIONAL_LOCKS": "0",
            "GIT_NO_LAZY_FETCH": "1",
            "GIT_PROTOCOL_FROM_USER": "0",
            "GIT_ALLOW_PROTOCOL": "",
        }
    )
    return env
