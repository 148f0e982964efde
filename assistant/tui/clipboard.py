"""Where copied text can go: the terminal (OSC 52) when it takes it, a system tool, else a file that is named."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from assistant.safe_files import PRIVATE, private_folder, replace_atomically

OSC52_PROGRAMS = frozenset({"WezTerm", "iTerm.app", "kitty", "ghostty", "vscode", "WarpTerminal", "rio", "Tabby",
                            "alacritty", "foot", "contour"})
"""TERM_PROGRAM values of terminals known to take OSC 52 clipboard writes."""

OSC52_TERMS = ("xterm-kitty", "xterm-ghostty", "wezterm", "alacritty", "foot", "contour", "rio")
"""TERM prefixes of terminals known to take OSC 52 (xterm itself refuses by default, VTE terminals never)."""


@dataclass(frozen=True)
class Delivery:
    """How copied text reached the user."""

    how: str
    """'terminal', 'tool' or 'file'."""
    where: str
    """For a person: 'the terminal clipboard', 'the clipboard (wl-copy)', or the file's path."""
    reason: str = ""
    """Why no clipboard was reachable (for 'file')."""


def tmux_set_clipboard() -> str | None:
    """tmux's `set-clipboard` option ('on', 'external', 'off'), None when tmux cannot be asked."""
    try:
        done = subprocess.run(["tmux", "show", "-gv", "set-clipboard"], capture_output=True, text=True, timeout=2,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def osc52_verdict(env: Mapping[str, str], tmux_option: Callable[[], str | None] | None = None) -> tuple[bool, str]:
    """Whether the terminal will take an OSC 52 write, and why not when it will not."""
    if env.get("TMUX"):
        option = (tmux_option or tmux_set_clipboard)()
        if option == "on":
            return True, ""  # tmux keeps it as a paste buffer too, whatever the outer terminal does
        outer = {env.get("TERM_PROGRAM", ""), env.get("LC_TERMINAL", "")}
        if option == "external" and outer & OSC52_PROGRAMS:
            return True, ""
        return False, (f"tmux's set-clipboard is {option or 'unknown'} and the outer terminal is not known to take "
                       "clipboard writes; set -g set-clipboard on")
    if env.get("STY"):
        return False, "GNU screen passes no clipboard writes on"
    program, term = env.get("TERM_PROGRAM", ""), env.get("TERM", "")
    if program in OSC52_PROGRAMS or term.startswith(OSC52_TERMS):
        return True, ""
    return False, f"the terminal ({program or term or 'unknown'}) is not known to take clipboard writes"


def system_tool(env: Mapping[str, str], which: Callable[[str], str | None] = shutil.which,
                platform: str = sys.platform) -> list[str] | None:
    """The command that puts stdin on the system clipboard here, None when there is none."""
    candidates: list[list[str]] = []
    if platform == "darwin":
        candidates.append(["pbcopy"])
    if env.get("WAYLAND_DISPLAY"):
        candidates.append(["wl-copy"])
    if env.get("DISPLAY"):
        candidates += [["xclip", "-selection", "clipboard"], ["xsel", "--clipboard", "--input"]]
    for command in candidates:
        found = which(command[0])
        if found:
            return [found, *command[1:]]
    return None


def copied_file(folder: Path) -> Path:
    """Where text goes when no clipboard is reachable."""
    return folder / "copied.md"


def deliver(text: str, *, osc52: Callable[[str], None], folder: Path, env: Mapping[str, str] | None = None,
            tmux_option: Callable[[], str | None] | None = None,
            which: Callable[[str], str | None] = shutil.which) -> Delivery:
    """Put `text` where the user can paste it and say where: the terminal clipboard, a system
    clipboard tool, or (neither reachable) an owner-only file in the user's data folder."""
    env = os.environ if env is None else env
    works, reason = osc52_verdict(env, tmux_option)
    if works:
        osc52(text)
        return Delivery("terminal", "the terminal clipboard")
    tool = system_tool(env, which)
    if tool is not None:
        try:
            done = subprocess.run(tool, input=text, text=True, capture_output=True, timeout=5, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            reason = f"{Path(tool[0]).name} failed: {exc}"
        else:
            if done.returncode == 0:
                return Delivery("tool", f"the clipboard ({Path(tool[0]).name})")
            reason = f"{Path(tool[0]).name} failed: {done.stderr.strip() or done.returncode}"
    path = copied_file(folder)
    private_folder(folder)
    replace_atomically(path, text, PRIVATE)
    return Delivery("file", str(path), reason)
