"""Report pages in a real browser: the system's Chromium, driven by Playwright for Python.

The shared rendered month (conftest ``rendered_demo``: the demo's units, the 15-customer ``tiny``
unit and ``evil``, the subscriptions data with script in its display name and in customers' channel
and region values) is rendered once per test session; then every page of the month folder (unit
summaries, the notebook pages, the month index), whatever pages the run writes, is opened
once and must load without console or page errors, with every image decoded, without a
single request outside the file system (every request is intercepted; ``file:`` inside the
month folder and ``data:`` pass, anything else is aborted and fails the test), and without
running any of the planted scripts (``window.__xss`` stays undefined, no dialog opens).

Screenshots, 1280 px wide, of the ``retail`` summary and the month index are the test's
artifacts: written to pytest's temporary folder and, where ``RETENTION_TEST_ARTIFACTS``
names a folder, copied there. The same two pages are printed to PDF with
:func:`retention_utils.browser.print_pdf`.

Playwright is used with the system Chromium (``find_chromium()``); ``playwright install``
(a browser download) is never needed. Without Chromium the tests skip, saying so; in CI
(``CI`` set) Chromium must be there and its absence fails them (``.ci/run`` installs it).

The unit tests at the end check the command line, the path rules and the error messages of
:mod:`retention_utils.browser` with a stand-in shell script for Chromium.
"""
from __future__ import annotations

import os
import shutil
import stat
import struct
import time
from pathlib import Path

import pytest

from retention_utils import browser
from retention_utils.config import NOTEBOOKS
from retention_utils.errors import ConfigError, RetentionError
from tests.conftest import HOSTILE_LABEL, XSS_CHANNELS, XSS_REGION

#: the rendered units with pages (conftest ``rendered_demo``; ``broken`` has only its failure page)
UNITS = ("retail", "subscriptions", "b2b", "tiny", "evil")
ARTIFACTS_ENV = "RETENTION_TEST_ARTIFACTS"


def _need(fix: str, reason: str):
    """Skip on a user's machine; fail in CI, where the browser tests must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests ({fix}).")
    pytest.skip(f"{reason}: the browser tests skip ({fix} to run them).")


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = browser.find_chromium()
    if exe is None:
        off = os.environ.get(browser.CHROMIUM_ENV, "").strip().lower() in browser.OFF
        _need("apt-get install chromium, or set RETENTION_CHROMIUM to its path",
              f"{browser.CHROMIUM_ENV} is off" if off else "no Chromium found (RETENTION_CHROMIUM, /usr/bin/chromium, "
              "chromium, chromium-browser, google-chrome on PATH)")
    return exe


@pytest.fixture(scope="module")
def demo_month(rendered_demo, chromium) -> dict:
    """The shared rendered month (conftest ``rendered_demo``); its folder and the labels of its units."""
    from retention_utils import load_config

    labels = {u: load_config(rendered_demo / "params", u).label for u in UNITS}
    assert labels["evil"] == HOSTILE_LABEL
    return {"dir": rendered_demo / "reports" / "2025-12", "labels": labels}


@pytest.fixture(scope="module")
def pw_browser(chromium):
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _need("pip install -e '.[test]'", "Playwright for Python is not installed")
    with sync_playwright() as pw:
        try:
            # no user data, offline host resolution: the same isolation as retention_utils.browser
            b = pw.chromium.launch(executable_path=chromium,
                                   args=["--no-sandbox", "--disable-gpu", "--disable-quic",
                                         "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND"])
        except Error as exc:
            pytest.fail(f"Playwright could not start {chromium}: {str(exc).splitlines()[0]}")
        yield b
        b.close()


def _pages(month_dir: Path) -> list[Path]:
    return sorted(month_dir.rglob("*.html"))


#: per image: None when it decoded, else the start of its src
_DECODE_ALL = """() => Promise.all([...document.images].map(
    img => img.decode().then(() => img.naturalWidth > 0 ? null : img.src.slice(0, 80),
                             () => img.src.slice(0, 80))))"""


def _visit(context, path: Path, allowed: Path) -> dict:
    """Open one page; its console errors, page errors, dialogs, requests (anything but ``data:`` and
    ``file:`` under ``allowed`` is aborted and listed as blocked), undecoded images and whether a
    planted script ran."""
    seen: dict = {"requests": [], "blocked": [], "console": [], "errors": [], "dialogs": []}

    def on_route(route):
        url = route.request.url
        seen["requests"].append(url)
        if url.startswith("data:") or (url.startswith("file://") and _inside(url, allowed)):
            route.continue_()
        else:
            seen["blocked"].append(url)
            route.abort()

    page = context.new_page()
    page.route("**/*", on_route)
    page.on("console", lambda m: seen["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("websocket", lambda w: seen["blocked"].append(w.url))
    page.goto(path.as_uri(), wait_until="load")
    seen["undecoded"] = [s for s in page.evaluate(_DECODE_ALL) if s is not None]
    seen["n_images"] = page.evaluate("document.images.length")
    seen["text"] = page.evaluate("document.body.innerText")
    page.wait_for_timeout(100)  # late events (a failed fetch reports after load)
    seen["xss"] = page.evaluate("typeof window.__xss === 'undefined' ? null : String(window.__xss)")
    page.close()
    return seen


@pytest.fixture(scope="module")
def visits(demo_month, pw_browser) -> dict[str, dict]:
    """Every page of the month opened once; what the browser saw, by path relative to the month folder."""
    month_dir: Path = demo_month["dir"]
    context = pw_browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
    seen = {path.relative_to(month_dir).as_posix(): _visit(context, path, month_dir) for path in _pages(month_dir)}
    context.close()
    return seen


def test_the_checks_catch_what_they_look_for(pw_browser, tmp_path):
    """A page that does everything forbidden: the same visit sees each fault (else a pass proves nothing)."""
    bad = tmp_path / "bad.html"
    bad.write_text(f"<html><body><h1>{HOSTILE_LABEL}</h1>{XSS_REGION}"
                   '<img src="missing.png"><img src="https://example.invalid/x.png"><img src="/etc/hostname">'
                   "<script>undefined_function()</script></body></html>")
    context = pw_browser.new_context()
    seen = _visit(context, bad, tmp_path)
    context.close()
    assert seen["xss"] is not None and seen["dialogs"] == ["xss"]
    assert "https://example.invalid/x.png" in seen["blocked"] and "file:///etc/hostname" in seen["blocked"]
    assert len(seen["undecoded"]) == 4  # src=x of the label, missing.png, the blocked two
    assert seen["console"] and any("undefined_function" in e for e in seen["errors"])


def _inside(url: str, folder: Path) -> bool:
    from urllib.parse import unquote, urlparse

    return Path(unquote(urlparse(url).path)).resolve().is_relative_to(folder.resolve())


def test_every_report_page_is_there(demo_month, visits):
    expected = {"index.html"} | {f"{u}/{name}.html" for u in UNITS for name in ("index", *NOTEBOOKS)}
    assert expected <= set(visits), sorted(expected - set(visits))


def test_pages_load_without_console_or_page_errors(visits):
    problems = {rel: v["console"] + v["errors"] for rel, v in visits.items() if v["console"] or v["errors"]}
    assert not problems


def test_every_image_decodes(visits):
    assert not {rel: v["undecoded"] for rel, v in visits.items() if v["undecoded"]}
    # the KPI page of a full-size unit shows charts: none at all means the figures went missing
    assert visits["retail/kpi_overview.html"]["n_images"] >= 1


def test_no_request_leaves_the_file_system(visits):
    assert not {rel: v["blocked"] for rel, v in visits.items() if v["blocked"]}
    assert all(v["requests"] for v in visits.values())  # the interception saw each page's own request


def test_planted_scripts_do_not_run(demo_month, visits):
    ran = {rel: (v["xss"], v["dialogs"]) for rel, v in visits.items() if v["xss"] is not None or v["dialogs"]}
    assert not ran
    # the payloads reached the pages as text (else the check above proves nothing)
    assert HOSTILE_LABEL in visits["evil/index.html"]["text"]
    assert HOSTILE_LABEL in visits["index.html"]["text"]
    evil_text = "\n".join(v["text"] for rel, v in visits.items() if rel.startswith("evil/"))
    assert [x for x in (*XSS_CHANNELS.values(), XSS_REGION) if x in evil_text]


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def _artifact(path: Path) -> Path:
    """Copy a test artifact to $RETENTION_TEST_ARTIFACTS, where set; returns where it is kept."""
    target = os.environ.get(ARTIFACTS_ENV)
    if not target:
        return path
    Path(target).mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(path, Path(target) / path.name))


@pytest.mark.parametrize("rel", ["retail/index.html", "index.html"], ids=["unit_summary", "month_index"])
def test_screenshot_1280_wide(demo_month, pw_browser, tmp_path_factory, rel):
    out = tmp_path_factory.mktemp("artifacts") / ("unit_summary.png" if rel != "index.html" else "month_index.png")
    page = pw_browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((demo_month["dir"] / rel).as_uri(), wait_until="load")
    page.screenshot(path=str(out), full_page=True)
    page.close()
    width, height = _png_size(out)
    assert width == 1280 and height >= 300
    print(f"screenshot of {rel}: {_artifact(out)}")


def _pdf_text(pdf: Path) -> str | None:
    """Checks a PDF opens with at least one page; its text with whitespace collapsed (None without pypdf)."""
    assert pdf.read_bytes().startswith(b"%PDF"), pdf
    try:
        import pypdf
    except ImportError:
        return None
    reader = pypdf.PdfReader(pdf)
    assert len(reader.pages) >= 1, pdf
    return " ".join(" ".join((p.extract_text() or "") for p in reader.pages).split())  # lines wrap anywhere


def _labels_in(text: str | None, labels: list[str]) -> list[str]:
    """The labels missing from a PDF's text (none when pypdf, hence the text, is missing)."""
    return [] if text is None else [lb for lb in labels if " ".join(lb.split()) not in text]


@pytest.mark.parametrize("rel", ["retail/index.html", "index.html"], ids=["unit_summary", "month_index"])
def test_print_pdf(demo_month, tmp_path, rel):
    # a copy of the page: the rendered month stays as the run wrote it for the other tests
    html = tmp_path / Path(rel).name
    shutil.copy2(demo_month["dir"] / rel, html)
    pdf = html.with_suffix(".pdf")
    assert browser.print_pdf(html, pdf, timeout=120) is True
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no half-written file left
    _artifact(pdf)
    labels = demo_month["labels"]
    assert not _labels_in(_pdf_text(pdf), [labels["retail"]] if rel != "index.html" else [labels["retail"],
                                                                                         labels["b2b"]])


def test_run_writes_pdfs_beside_unit_summaries_and_month_index(demo_month):
    month_dir: Path = demo_month["dir"]
    labels = demo_month["labels"]
    missing, unreadable = [], {}
    for page, wanted in [(month_dir / "index.html", [labels["retail"], labels["b2b"]]),
                         *[(month_dir / u / "index.html", [labels[u]] if u not in ("evil", "tiny") else []) for u in UNITS]]:
        pdf = page.with_suffix(".pdf")
        if not pdf.is_file():
            missing.append(pdf.relative_to(month_dir).as_posix())
            continue
        absent = _labels_in(_pdf_text(pdf), wanted)
        if absent:
            unreadable[pdf.relative_to(month_dir).as_posix()] = absent
    assert not missing, f"no PDF beside: {missing}"
    assert not unreadable, f"labels missing from the PDF text: {unreadable}"


def test_screenshot_helper_writes_a_png_of_the_asked_width(demo_month, tmp_path):
    out = tmp_path / "summary.png"  # anywhere: a README picture lives in docs/
    assert browser.screenshot(demo_month["dir"] / "retail" / "index.html", out, width=1280, height=700) is True
    assert _png_size(out) == (1280, 700)


# --- retention_utils.browser without a real browser: a stand-in script plays Chromium ---------------------

def _fake_chromium(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "fake-chromium"
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return str(exe)


#: writes its arguments to args.txt beside itself and a small PDF where --print-to-pdf= says
_PRINTS = """dir=$(dirname "$0"); printf '%s\\n' "$@" > "$dir/args.txt"
for a in "$@"; do case "$a" in --print-to-pdf=*) printf '%%PDF-1.4 fake' > "${a#--print-to-pdf=}";; esac; done
"""


@pytest.fixture
def page(tmp_path) -> Path:
    folder = tmp_path / "reports" / "2025-12" / "retail"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text("<html><body><h1>Retail</h1></body></html>")
    return folder / "index.html"


def test_find_chromium_order(monkeypatch, tmp_path):
    fake = _fake_chromium(tmp_path, "exit 0\n")
    monkeypatch.setenv(browser.CHROMIUM_ENV, fake)
    assert browser.find_chromium() == fake
    for off in ("none", "OFF"):
        monkeypatch.setenv(browser.CHROMIUM_ENV, off)
        assert browser.find_chromium() is None
    monkeypatch.setenv(browser.CHROMIUM_ENV, str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match=r"RETENTION_CHROMIUM is set to '.*nope', which is not an executable"):
        browser.find_chromium()
    # unset: /usr/bin/chromium, then the commands on PATH
    monkeypatch.delenv(browser.CHROMIUM_ENV)
    monkeypatch.setattr(browser, "DEFAULT_PATH", str(tmp_path / "absent"))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy2(fake, bindir / "google-chrome")
    monkeypatch.setenv("PATH", str(bindir))
    assert browser.find_chromium() == str(bindir / "google-chrome")
    shutil.copy2(fake, bindir / "chromium-browser")
    assert browser.find_chromium() == str(bindir / "chromium-browser")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert browser.find_chromium() is None


def test_no_chromium_means_no_pdf_and_no_error(monkeypatch, page):
    monkeypatch.setattr(browser, "find_chromium", lambda: None)
    assert browser.print_pdf(page, page.with_suffix(".pdf")) is False
    assert browser.screenshot(page, page.with_suffix(".png")) is False
    assert sorted(p.name for p in page.parent.iterdir()) == ["index.html"]


def test_print_pdf_command_line(monkeypatch, page, tmp_path):
    monkeypatch.setenv(browser.CHROMIUM_ENV, _fake_chromium(tmp_path, _PRINTS))
    assert browser.print_pdf(page, page.with_suffix(".pdf")) is True
    assert page.with_suffix(".pdf").read_bytes() == b"%PDF-1.4 fake"
    args = (tmp_path / "args.txt").read_text().splitlines()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-pdf-header-footer"):
        assert flag in args
    assert args[-1] == page.as_uri()
    profile = next(a.split("=", 1)[1] for a in args if a.startswith("--user-data-dir="))
    assert not Path(profile).exists()  # the fresh profile is removed afterwards
    printed = next(a.split("=", 1)[1] for a in args if a.startswith("--print-to-pdf="))
    assert Path(printed).parent == page.parent and Path(printed).name.startswith(".index-")  # then moved


@pytest.mark.parametrize("where", ["../index.pdf", "../../elsewhere/x.pdf", "/tmp/x.pdf"])
def test_print_pdf_refuses_paths_outside_the_page_folder(monkeypatch, page, tmp_path, where):
    monkeypatch.setenv(browser.CHROMIUM_ENV, _fake_chromium(tmp_path, _PRINTS))
    target = Path(where) if where.startswith("/") else page.parent / where
    with pytest.raises(RetentionError, match="is outside the folder of the page"):
        browser.print_pdf(page, target)
    assert not (tmp_path / "args.txt").exists()  # refused before Chromium starts


def test_print_pdf_refuses_a_symlink_out_of_the_folder(monkeypatch, page, tmp_path):
    monkeypatch.setenv(browser.CHROMIUM_ENV, _fake_chromium(tmp_path, _PRINTS))
    (page.parent / "out").symlink_to(tmp_path)
    with pytest.raises(RetentionError, match="is outside the folder of the page"):
        browser.print_pdf(page, page.parent / "out" / "index.pdf")


def test_print_pdf_wants_a_pdf_name_and_a_page(monkeypatch, page, tmp_path):
    monkeypatch.setenv(browser.CHROMIUM_ENV, _fake_chromium(tmp_path, _PRINTS))
    with pytest.raises(RetentionError, match=r"'.*index.html' must end in .pdf"):
        browser.print_pdf(page, page)
    with pytest.raises(RetentionError, match="cannot print .*missing.html: no such page"):
        browser.print_pdf(page.parent / "missing.html", page.parent / "missing.pdf")


def test_failed_print_raises_and_leaves_nothing(monkeypatch, page, tmp_path):
    monkeypatch.setenv(browser.CHROMIUM_ENV, _fake_chromium(tmp_path, "echo 'noise' >&2; echo 'ERROR: no GPU' >&2; "
                                                                      "exit 3\n"))
    with pytest.raises(RetentionError, match=r"printing index.html to index.pdf: Chromium \(.*fake-chromium\) "
                                             r"exited with code 3: noise \| ERROR: no GPU\."):
        browser.print_pdf(page, page.with_suffix(".pdf"))
    assert sorted(p.name for p in page.parent.iterdir()) == ["index.html"]
    # exit 0 without a PDF
    monkeypatch.setenv(browser.CHROMIUM_ENV, _fake_chromium(tmp_path, "exit 0\n"))
    with pytest.raises(RetentionError, match=r"Chromium wrote no PDF \(the file starts with b''\)"):
        browser.print_pdf(page, page.with_suffix(".pdf"))
    assert sorted(p.name for p in page.parent.iterdir()) == ["index.html"]


def test_hung_chromium_is_ended_at_the_timeout(monkeypatch, page, tmp_path):
    # the stand-in starts a child as Chromium starts renderers: the whole process group must end
    monkeypatch.setenv(browser.CHROMIUM_ENV, _fake_chromium(
        tmp_path, f'sleep 30 & echo $! > "{tmp_path}/child.pid"; wait\n'))
    started = time.monotonic()
    with pytest.raises(RetentionError, match=r"did not finish within 1 s"):
        browser.print_pdf(page, page.with_suffix(".pdf"), timeout=1)
    assert time.monotonic() - started < 10
    child = int((tmp_path / "child.pid").read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]
    assert sorted(p.name for p in page.parent.iterdir()) == ["index.html"]


def test_screenshot_size_is_checked(page):
    with pytest.raises(RetentionError, match="screenshot size 100x50 is too small"):
        browser.screenshot(page, page.with_suffix(".png"), width=100, height=50)
