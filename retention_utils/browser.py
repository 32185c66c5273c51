"""Print and photograph rendered report pages with the system's headless Chromium.

Executives forward reports by mail, so the unit summary and the month index are
also written as PDF beside their HTML; the README's pictures of the pages are
screenshots. Both use Chromium's own command line (``--print-to-pdf``,
``--screenshot``): no Python package is needed at run time, and a machine
without Chromium simply gets no PDF (:func:`print_pdf` returns False).

Which Chromium: the environment variable ``RETENTION_CHROMIUM`` (a path or a
command name; ``none`` or ``off`` for no browser, hence no PDF), else
``/usr/bin/chromium``, else ``chromium``, ``chromium-browser``, ``google-chrome``
or ``google-chrome-stable`` on ``PATH``.

Every start is isolated and offline: a fresh profile in a temporary folder
(removed afterwards), no sync, no background networking or component updates,
and a host resolver that resolves nothing, so a page can never fetch anything
from the network while it is printed (the reports are self-contained; the
browser tests check that no page asks for anything outside the file system).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

from retention_utils.errors import ConfigError, RetentionError

__all__ = ["CHROMIUM_ENV", "find_chromium", "headless_flags", "chromium_command", "print_pdf", "screenshot"]

#: environment variable naming the Chromium (or Chrome) binary to use
CHROMIUM_ENV = "RETENTION_CHROMIUM"
#: the Debian package's launcher, tried first
DEFAULT_PATH = "/usr/bin/chromium"
#: command names looked up on PATH after ``DEFAULT_PATH``
COMMANDS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: values of ``RETENTION_CHROMIUM`` that turn the browser off (no PDF, no screenshot; browser tests skip)
OFF = ("none", "off")
#: lines of Chromium's error output quoted in an error message
_TAIL_LINES = 5


def find_chromium() -> str | None:
    """Path of the Chromium binary to use, or None where none is installed.

    Order: ``$RETENTION_CHROMIUM`` (a path, or a command name on ``PATH``; ``none`` or
    ``off`` turns the browser off), then ``/usr/bin/chromium``, then ``chromium``,
    ``chromium-browser``, ``google-chrome`` and ``google-chrome-stable`` on ``PATH``.

    Raises
    ------
    ConfigError
        ``RETENTION_CHROMIUM`` is set but names nothing executable (a typo must not
        silently turn the PDFs off).
    """
    wanted = os.environ.get(CHROMIUM_ENV, "").strip()
    if wanted.lower() in OFF:
        return None
    if wanted:
        found = _executable(wanted) or shutil.which(wanted)
        if not found:
            raise ConfigError(f"{CHROMIUM_ENV} is set to {wanted!r}, which is not an executable file nor a command "
                              f"on PATH; set it to the path of a Chromium or Chrome binary, or unset it to use "
                              f"{DEFAULT_PATH} or {', '.join(COMMANDS)} on PATH.")
        return found
    if _executable(DEFAULT_PATH):
        return DEFAULT_PATH
    for name in COMMANDS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _executable(path: str) -> str | None:
    p = Path(path)
    return str(p) if p.is_file() and os.access(p, os.X_OK) else None


def headless_flags(user_data_dir: str | Path) -> list[str]:
    """Chromium flags of an isolated, offline, headless start with a profile in ``user_data_dir``.

    Examples
    --------
    >>> flags = headless_flags("/tmp/profile")
    >>> flags[:3]
    ['--headless', '--no-sandbox', '--disable-gpu']
    >>> "--user-data-dir=/tmp/profile" in flags and "--disable-background-networking" in flags
    True
    >>> [f for f in flags if f.startswith("--host-resolver-rules")]
    ['--host-resolver-rules=MAP * ~NOTFOUND']
    """
    return [
        "--headless",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",  # containers with a small /dev/shm crash the renderer on long pages
        "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: no host name resolves
        f"--user-data-dir={user_data_dir}",
    ]


def chromium_command(chromium: str, html_path: str | Path, *, user_data_dir: str | Path,
                     pdf: str | Path | None = None, png: str | Path | None = None,
                     window: tuple[int, int] = (1280, 2000)) -> list[str]:
    """The command line that prints ``html_path`` to ``pdf`` or photographs it to ``png``.

    Exactly one of ``pdf`` and ``png`` is given. The page is opened as a ``file://`` URL.

    Examples
    --------
    >>> cmd = chromium_command("chromium", "/r/2025-12/retail/index.html", user_data_dir="/tmp/p",
    ...                        pdf="/r/2025-12/retail/index.pdf")
    >>> for arg in cmd[-3:]:
    ...     print(arg)
    --no-pdf-header-footer
    --print-to-pdf=/r/2025-12/retail/index.pdf
    file:///r/2025-12/retail/index.html
    >>> chromium_command("chromium", "/r/a b.html", user_data_dir="/tmp/p", png="/r/a.png", window=(1280, 900))[-4:]
    ['--hide-scrollbars', '--window-size=1280,900', '--screenshot=/r/a.png', 'file:///r/a%20b.html']
    """
    if (pdf is None) == (png is None):
        raise ValueError("chromium_command needs exactly one of pdf= and png=.")
    cmd = [chromium, *headless_flags(user_data_dir)]
    if pdf is not None:
        cmd += ["--no-pdf-header-footer", f"--print-to-pdf={pdf}"]
    else:
        width, height = window
        cmd += ["--hide-scrollbars", f"--window-size={width},{height}", f"--screenshot={png}"]
    return [*cmd, Path(html_path).absolute().as_uri()]


def _beside(html_path: str | Path, out_path: str | Path, suffix: str, *, anywhere: bool = False) -> tuple[Path, Path]:
    """The resolved page and output paths; refuses an output outside the page's folder (unless ``anywhere``).

    Examples
    --------
    >>> _beside("/r/2025-12/index.html", "/r/2025-12/../secret.pdf", ".pdf")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    retention_utils.errors.RetentionError: '/r/2025-12/../secret.pdf' is outside the folder of the page ...
    >>> _beside("/r/index.html", "/r/index.png", ".pdf")
    Traceback (most recent call last):
    ...
    retention_utils.errors.RetentionError: '/r/index.png' must end in .pdf.
    """
    page = Path(html_path).resolve()
    out = Path(out_path).resolve()
    if out.suffix.lower() != suffix:
        raise RetentionError(f"{str(out_path)!r} must end in {suffix}.")
    if not anywhere and not out.is_relative_to(page.parent):
        raise RetentionError(f"{str(out_path)!r} is outside the folder of the page {page}: write the {suffix} "
                             f"beside the page (in {page.parent} or below).")
    return page, out


def _run(cmd: list[str], *, timeout: float, what: str) -> None:
    """Run Chromium in its own process group; on a timeout the whole group (renderers too) is ended."""
    with subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          start_new_session=True) as proc:
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RetentionError(f"{what}: Chromium ({cmd[0]}) did not finish within {timeout:g} s; "
                                 "retry, or raise the timeout for very long pages.") from None
    if proc.returncode != 0:
        raise RetentionError(f"{what}: Chromium ({cmd[0]}) exited with code {proc.returncode}: "
                             f"{_tail(err) or 'no message'}.")


def _tail(err: bytes) -> str:
    lines = [ln.strip() for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
    return " | ".join(lines[-_TAIL_LINES:])


def _render(html_path: str | Path, out_path: str | Path, *, suffix: str, magic: bytes, timeout: float,
            window: tuple[int, int] = (1280, 2000), anywhere: bool = False) -> bool:
    page, out = _beside(html_path, out_path, suffix, anywhere=anywhere)
    if not page.is_file():
        raise RetentionError(f"cannot {'print' if suffix == '.pdf' else 'photograph'} {page}: no such page.")
    chromium = find_chromium()
    if chromium is None:
        return False
    what = f"{'printing' if suffix == '.pdf' else 'photographing'} {page.name} to {out.name}"
    out.parent.mkdir(parents=True, exist_ok=True)
    # written under a temporary name and moved into place: a failed print never leaves half a file
    part = str(out.parent / f".{out.stem}-{uuid.uuid4().hex[:8]}{suffix}")  # Chromium creates it (usual mode)
    try:
        with tempfile.TemporaryDirectory(prefix="retention-chromium-", ignore_cleanup_errors=True) as profile:
            kind = {"pdf": part} if suffix == ".pdf" else {"png": part}
            _run(chromium_command(chromium, page, user_data_dir=profile, window=window, **kind),
                 timeout=timeout, what=what)
        head = b""
        if os.path.isfile(part):
            with open(part, "rb") as fh:
                head = fh.read(len(magic))
        if head != magic:
            raise RetentionError(f"{what}: Chromium wrote no {suffix[1:].upper()} (the file starts with {head!r}); "
                                 f"check that {chromium} opens {page} on this machine.")
        os.replace(part, out)
    finally:
        if os.path.exists(part):
            os.remove(part)
    return True


def print_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout: float = 60) -> bool:
    """Print a report page to PDF with headless Chromium (no header or footer lines).

    Parameters
    ----------
    html_path
        The rendered page (self-contained HTML).
    pdf_path
        Where the PDF goes: beside the page, in its folder or below; anything else
        is refused.
    timeout
        Seconds Chromium may take before it is ended.

    Returns
    -------
    bool
        True when the PDF was written, False when no Chromium is installed (see
        :func:`find_chromium`); nothing is written then.

    Raises
    ------
    RetentionError
        The path is outside the page's folder or does not end in ``.pdf``, the page
        does not exist, or Chromium failed or timed out (the PDF is not written).
    """
    return _render(html_path, pdf_path, suffix=".pdf", magic=b"%PDF", timeout=timeout)


def screenshot(html_path: str | Path, png_path: str | Path, *, width: int = 1280, height: int = 2000,
               timeout: float = 60) -> bool:
    """Photograph the top ``width`` x ``height`` pixels of a report page to PNG.

    Same return value and errors as :func:`print_pdf`; the PNG path must end in
    ``.png`` and may be anywhere (a picture for the README lives in ``docs/``).
    """
    if width < 200 or height < 200:
        raise RetentionError(f"screenshot size {width}x{height} is too small: use at least 200x200 pixels.")
    return _render(html_path, png_path, suffix=".png", magic=b"\x89PNG", timeout=timeout, window=(width, height),
                   anywhere=True)
