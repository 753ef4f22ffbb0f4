"""The review site in a real browser: headless Chromium driven by Selenium with the
system chromedriver (Debian's chromium and chromium-driver; .ci/run installs them).
Skipped, with the reason, when no browser is installed."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from _review_support import BAD_NAME, PAGE_SIZE, SEEDS, make_outputs
from pipeline.cli import main
from pipeline.evaluate import evaluate
from pipeline.review import build, page_name


def _find(*names: str) -> str | None:
    for n in names:
        p = shutil.which(n) if "/" not in n else (n if os.access(n, os.X_OK) else None)
        if p:
            return p
    return None


BROWSER = _find("chromium", "chromium-browser", "google-chrome", "/usr/lib/chromium/chromium")
DRIVER = _find("chromedriver", "/usr/lib/chromium/chromedriver", "/usr/bin/chromedriver")
try:
    import selenium  # noqa: F401
    HAVE_SELENIUM = True
except ImportError:
    HAVE_SELENIUM = False

pytestmark = pytest.mark.skipif(
    not (BROWSER and DRIVER and HAVE_SELENIUM),
    reason="browser tests of the review site skipped: no headless browser found "
           f"(chromium: {BROWSER or 'missing'}, chromedriver: {DRIVER or 'missing'}, "
           f"selenium: {'ok' if HAVE_SELENIUM else 'missing'}); as root: apt-get install -y chromium chromium-driver")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    _inputs, out = make_outputs(tmp_path_factory.mktemp("browser"))
    build(out)
    return out


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = BROWSER
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1440,1000", "--disable-extensions", "--no-first-run", "--lang=zh-CN"):
        opts.add_argument(a)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def url(out: Path, rel: str) -> str:
    return (out / "review" / rel).resolve().as_uri()


def open_page(driver, address: str) -> None:
    driver.get(address)
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")


def record(out: Path, name: str) -> dict:
    return json.loads((out / (name + ".json")).read_text(encoding="utf-8"))


def n_items(d: dict) -> int:
    return (len(d["date_windows"]) + len(d["figures"]) + len(d["household_counts"]) + len(d["tasks"])
            + sum(len(x["mentions"]) for x in d["departments"]) + len(d["metadata"]["evidence"]))


def errors_in_console(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and "Content Security Policy" not in e["message"]
            and "ERR_FILE_NOT_FOUND" not in e["message"]]


def test_index_lists_every_document_and_failure(browser, site):
    open_page(browser, url(site, "index.html"))
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#docs tbody tr')).map(r => r.cells[0].innerText)")
    names = {p.name[:-5] for p in site.glob("*.json")}
    assert len(rows) == len(names) == 5
    for name in names:
        d = record(site, name)
        assert any((d["metadata"]["title"] or name) in r for r in rows), name
    failures = browser.execute_script(
        "return Array.from(document.querySelectorAll('#failures tbody tr')).map(r => r.innerText)")
    assert len(failures) == 1 and BAD_NAME in failures[0] and "file is empty" in failures[0]
    assert browser.execute_script("return window.__pwned") is None
    # filter and sort
    box = browser.find_element("id", "filter")
    box.send_keys("hostile")
    assert browser.execute_script("return document.querySelectorAll('#docs tbody tr:not([hidden])').length") == 1
    box.clear()
    browser.execute_script("document.getElementById('filter').dispatchEvent(new Event('input'))")
    browser.find_element("css selector", "th button[data-col='7']").click()  # figures, ascending
    counts = browser.execute_script(
        "return Array.from(document.querySelectorAll('#docs tbody tr')).map(r => +r.cells[7].dataset.value)")
    assert counts == sorted(counts) and len(counts) == 5
    assert errors_in_console(browser) == []


def test_highlights_equal_the_record_items(browser, site):
    for name in SEEDS:
        d = record(site, name)
        open_page(browser, url(site, page_name(name + ".json")))
        got = browser.execute_script("""
            const ms = Array.from(document.querySelectorAll('#text mark.hl'));
            const ids = new Set(ms.map(m => m.dataset.id));
            const text = document.getElementById('text').textContent;
            const bad = ms.filter(m => !m.classList.contains('cont') && !(m.dataset.field && m.dataset.start && m.dataset.end));
            return [ids.size, text, bad.length,
                    ms.filter(m => !m.classList.contains('cont')).map(m => [m.dataset.field, +m.dataset.start, +m.dataset.end])];
        """)
        ids, text, bad, spans = got
        assert text == d["text"]
        assert ids == n_items(d) and bad == 0
        want = sorted([["figures", *f["span"]] for f in d["figures"]] + [["date_windows", *w["span"]] for w in d["date_windows"]]
                      + [["household_counts", *h["span"]] for h in d["household_counts"]]
                      + [["tasks", *t["span"]] for t in d["tasks"]]
                      + [["departments", *m["span"]] for x in d["departments"] for m in x["mentions"]]
                      + [["metadata", *e["span"]] for e in d["metadata"]["evidence"]])
        assert sorted(spans) == want


def test_clicking_a_figure_row_marks_its_text(browser, site):
    d = record(site, SEEDS[1])
    assert len(d["figures"]) >= 3
    open_page(browser, url(site, page_name(SEEDS[1] + ".json")))
    for i in (2, 0):
        browser.find_element("css selector", f"tr[data-item='f{i}']").click()
        marked = browser.execute_script(
            "return Array.from(document.querySelectorAll('#text mark.marked')).map(m => [m.textContent, +m.dataset.start, document.activeElement === m])")
        f = d["figures"][i]
        assert [m[:2] for m in marked] == [[f["text"], f["span"][0]]]
        assert marked[0][2], "the marked span has the focus"
        assert browser.find_element("id", "insp-text").text == f["text"]
        tip = browser.find_element("id", "tip")  # focus shows the resolved values
        assert tip.is_displayed() and f"value: {f['value']:g}" in tip.text and f"unit: {f['unit']}" in tip.text
    # a metadata value links to its evidence span
    ev = next(e for e in d["metadata"]["evidence"] if e["field"] == "title")
    browser.execute_script("window.scrollTo(0, 0)")
    browser.find_element("css selector", "a.evidence[data-item='m.title']").click()
    assert browser.execute_script(
        "return Array.from(document.querySelectorAll('#text mark.marked')).map(m => [m.textContent, +m.dataset.start])") \
        == [[ev["text"], ev["span"][0]]]
    # keyboard: j moves to the next item in text order, with a visible focus ring
    browser.find_element("css selector", "#text mark[data-id='f0']").click()
    browser.switch_to.active_element.send_keys("j")
    nxt = browser.execute_script("return [document.activeElement.dataset.start, getComputedStyle(document.activeElement).outlineStyle]")
    assert int(nxt[0]) >= d["figures"][0]["span"][0] and nxt[1] != "none"


def _select_text(driver, start: int, end: int) -> None:
    driver.execute_script("""
        const root = document.getElementById('text'), [s, e] = arguments;
        const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT); let pos = 0, n, r = document.createRange(), on = false;
        while ((n = w.nextNode())) { const L = n.nodeValue.length;
          if (!on && pos + L > s) { r.setStart(n, s - pos); on = true; }
          if (on && pos + L >= e) { r.setEnd(n, e - pos); break; } pos += L; }
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);""", start, end)


def test_correction_survives_reload_exports_and_imports_into_gold(browser, site, downloads, tmp_path):
    name = SEEDS[1]
    d = record(site, name)
    page = url(site, page_name(name + ".json"))
    open_page(browser, page)
    browser.execute_script("localStorage.clear()")
    open_page(browser, page)
    # f0 is wrong; f1 gets a new value; a missing figure is added from a text selection
    browser.find_element("css selector", "tr[data-item='f0']").click()
    browser.find_element("id", "v-wrong").click()
    browser.find_element("css selector", "tr[data-item='f1']").click()
    value = browser.find_element("id", "edit-value")
    value.clear()
    value.send_keys("999")
    browser.find_element("css selector", "#edit-form button[type=submit]").click()
    # f2's boundary moved to a selection one character wider
    f2 = d["figures"][2]
    wider = (f2["span"][0], f2["span"][1] + 1)
    browser.find_element("css selector", "tr[data-item='f2']").click()
    _select_text(browser, *wider)
    browser.find_element("id", "set-boundary").click()
    assert browser.find_element("id", "insp-text").text == d["text"][wider[0]:wider[1]]
    s, e = 0, 4
    added_text = d["text"][s:e]
    _select_text(browser, s, e)
    browser.find_element("css selector", "#add-field option[value='figures']").click()
    _select_text(browser, s, e)
    browser.find_element("id", "add-item").click()
    for field, v in (("edit-value", "42"), ("edit-unit", "个")):
        el = browser.find_element("id", field)
        el.clear()
        el.send_keys(v)
    browser.find_element("css selector", "#edit-form button[type=submit]").click()
    browser.find_element("id", "accept-rest").click()
    # reload: the marks are still there
    open_page(browser, page)
    status = browser.execute_script(
        "return ['f0', 'f1', 'f2', 'a0'].map(i => document.querySelector(`tr[data-item='${i}']`).dataset.verdict)")
    assert status == ["wrong", "edited", "edited", "edited"]  # the added item was given its values
    assert browser.execute_script("return document.querySelector(\"#text mark[data-id='f0']\").dataset.verdict") == "wrong"
    # export downloads corrections-<doc_id>.json
    target = downloads / f"corrections-{d['doc_id']}.json"
    target.unlink(missing_ok=True)
    browser.find_element("id", "export").click()
    for _ in range(100):
        if target.exists() and target.stat().st_size:
            break
        time.sleep(0.1)
    corr = json.loads(target.read_text(encoding="utf-8"))
    assert corr["doc"] == name and corr["doc_id"] == d["doc_id"]
    assert [a["text"] for a in corr["added"]] == [added_text]
    # gold import -> a gold file that gongwen eval reads
    gold_dir = tmp_path / "gold"
    assert main(["gold", "import", str(target), "-o", str(gold_dir)]) == 0
    gold = json.loads((gold_dir / (name + ".json")).read_text(encoding="utf-8"))
    values = sorted([f["value"] for f in d["figures"][2:]] + [999, 42])
    assert sorted(f["value"] for f in gold["figures"]) == values
    assert {"text": added_text, "value": 42, "unit": "个"}.items() <= next(
        f for f in gold["figures"] if f["value"] == 42).items()
    assert d["text"][wider[0]:wider[1]] in [f["text"] for f in gold["figures"]]
    scores, missing = evaluate(site, gold_dir)
    assert missing == []
    fig = scores["figures"]
    assert (fig.tp, fig.fp, fig.fn) == (len(d["figures"]) - 2, 2, 2)
    assert scores["departments"].fp == scores["departments"].fn == 0
    assert main(["eval", str(site), str(gold_dir), "--brief"]) == 0


def test_hostile_document_runs_nothing_and_shows_markup_as_text(browser, site):
    page = url(site, page_name("hostile.txt.json"))
    open_page(browser, page)
    time.sleep(0.3)
    state = browser.execute_script("""return [window.__pwned, document.getElementById('text').textContent,
        document.querySelectorAll('img, svg, textarea, iframe, a[href^="javascript"]').length,
        Array.from(document.scripts).map(s => s.getAttribute('src') || s.type), document.title]""")
    pwned, text, elements, scripts, title = state
    assert pwned is None
    assert "<script>window.__pwned=1</script>" in text and 'onerror="window.__pwned=2"' in text
    assert '<a href="javascript:window.__pwned=3">' in text
    assert elements == 0
    assert scripts == ["../assets/review.js", "application/json"]
    assert "<script>" in title
    # interacting (hover, select, edit, the original toggle is absent) still runs nothing
    for row in browser.find_elements("css selector", "tr[data-item]")[:8]:
        browser.execute_script("arguments[0].scrollIntoView()", row)
        row.click()
    browser.find_element("css selector", "tr[data-item='m.title']").click()
    assert browser.find_element("id", "edit-title").get_attribute("value").startswith("关于<script>")
    assert browser.execute_script("return window.__pwned") is None
    shown = browser.find_element("css selector", "h1").text
    assert shown == "关于<script>window.__pwned=1</script>做好扶贫工作的通知"
    # the bidi override is shown as a labelled marker, isolated from the text around it
    assert browser.execute_script(
        "return getComputedStyle(document.querySelector('.ctl')).unicodeBidi") == "isolate"
    open_page(browser, url(site, "index.html"))
    assert browser.execute_script("return window.__pwned") is None


def test_pdf_page_image_with_its_box(browser, site):
    open_page(browser, url(site, page_name("notice.pdf.json")))
    assert browser.execute_script("return document.querySelectorAll('img').length") == 1
    browser.find_element("css selector", "tr[data-item='f0']").click()
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "const i = document.getElementById('page-img'); return i.complete && i.naturalWidth > 0"))
    got = browser.execute_script("""
        const img = document.getElementById('page-img'), box = document.getElementById('bbox');
        const a = img.getBoundingClientRect(), b = box.getBoundingClientRect();
        return [img.getAttribute('src'), box.hidden, (b.left - a.left) / a.width, (b.top - a.top) / a.height,
                b.width / a.width, b.height / a.height, document.getElementById('page-label').textContent];""")
    src, hidden, x, y, w, h, label = got
    assert src.endswith("/p0002.jpg") and not hidden and label == "page 2 of 2"
    W, H = PAGE_SIZE
    x0, top, x1, bottom = record(site, "notice.pdf")["figures"][0]["bbox"]
    for got_v, want in ((x, x0 / W), (y, top / H), (w, (x1 - x0) / W), (h, (bottom - top) / H)):
        assert abs(got_v - want) < 0.01
    # an item without a box shows its page, no box
    browser.find_element("css selector", "tr[data-item='h0']").click()
    assert browser.execute_script("return document.getElementById('bbox').hidden") is True


def test_traditional_toggle_shows_the_original_script(browser, site):
    d = record(site, "traditional.txt")
    source = (site.parent / "in" / "traditional.txt").read_bytes().decode("big5")
    open_page(browser, url(site, page_name("traditional.txt.json")))
    browser.find_element("id", "toggle-original").click()
    f = d["figures"][0]
    h = d["household_counts"][0]
    got = browser.execute_script("""return [document.getElementById('original').hidden, document.getElementById('text').hidden,
        document.querySelector("#original mark[data-id='o:h0']").textContent]""")
    assert got[:2] == [False, True]
    assert got[2] == source[h["source_span"][0]:h["source_span"][1]] == "低保戶27戶64人"
    browser.find_element("css selector", "tr[data-item='f0']").click()
    assert browser.execute_script("return document.querySelector('#original mark.marked').textContent") == \
        source[f["source_span"][0]:f["source_span"][1]]


def test_screenshot_of_a_seed_page(browser, site, tmp_path):
    open_page(browser, url(site, page_name(SEEDS[0] + ".json")))
    browser.execute_script("localStorage.clear()")
    browser.set_window_size(1440, 1800)
    open_page(browser, url(site, page_name(SEEDS[0] + ".json")))
    browser.find_element("css selector", "tr[data-item='w1']").click()
    browser.find_element("id", "v-right").click()
    browser.find_element("css selector", "tr[data-item='w2']").click()
    browser.execute_script("window.scrollTo(0, 0); document.querySelector('.side').scrollTop = 0")
    shot = tmp_path / "review-seed-000.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20000
    keep = os.environ.get("GONGWEN_REVIEW_SCREENSHOT")  # e.g. to look at it: the test writes only tmp otherwise
    if keep:
        shutil.copy(shot, keep)
