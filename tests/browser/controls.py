"""Operating a notebook's controls through the page, shared by the JupyterLab and Voila tests:
move every slider with the keyboard, pick every dropdown's and every row of toggle buttons'
next entry, tick every checkbox, draw a stroke on every drawing pad, press every button, and
check that the output area the control lives in changes in the DOM; and time a control's
answer in the page (for the benchmarks)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

# a short signature of what one output area shows: its figures' data and titles, and (unless
# only the figures are asked for) its text, which includes the sliders' readouts
SIGNATURE_JS = """(area, figuresOnly = false) => {
  let s = figuresOnly ? '' : area.innerText;
  for (const gd of area.querySelectorAll('.js-plotly-plot')) {
    s += JSON.stringify(gd.data || null) + JSON.stringify((gd.layout || {}).title || null);
  }
  let h = 5381;
  for (let i = 0; i < s.length; i++) h = ((h * 33) ^ s.charCodeAt(i)) >>> 0;
  return s.length + ':' + h;
}"""
# in page order, so a drawing pad is drawn on before the button that clears it is pressed
CONTROLS = ("css=.jp-OutputArea-output .widget-slider .noUi-handle, "
            ".jp-OutputArea-output .widget-dropdown select, "
            ".jp-OutputArea-output .widget-toggle-buttons, "
            ".jp-OutputArea-output .widget-checkbox input[type=checkbox], "
            ".jp-OutputArea-output canvas.explainer-drawing-pad, "
            ".jp-OutputArea-output button.widget-button")
OUTPUT_AREA = "xpath=ancestor::div[contains(@class,'jp-OutputArea-output')][1]"
ERRORS = "[data-mime-type='application/vnd.jupyter.error']"


def operate(page, control, *, back: bool = False) -> None:
    """Move a slider by one step with the keyboard (to the left with ``back``), pick a
    dropdown's or a row of toggle buttons' next entry, tick or untick a checkbox, draw a
    stroke on a drawing pad, or press a button: the way a learner would."""
    tag = control.evaluate("e => e.classList.contains('widget-toggle-buttons') ? 'toggles'"
                           " : e.tagName.toLowerCase()")
    if tag == "toggles":  # a row of toggle buttons: the one after (``back``: before) the chosen
        chosen = control.evaluate("e => [...e.querySelectorAll('button')]"
                                  ".findIndex((b) => b.classList.contains('mod-active'))")
        buttons = control.locator("button")
        n = buttons.count()
        buttons.nth((chosen + (n - 1 if back else 1)) % n).click()
    elif tag == "input":  # a checkbox
        control.click()
    elif tag == "canvas":
        box = control.bounding_box()
        # a vertical stroke down the middle, like a "1"
        x = box["x"] + box["width"] / 2
        page.mouse.move(x, box["y"] + box["height"] * 0.2)
        page.mouse.down()
        page.mouse.move(x, box["y"] + box["height"] * 0.8, steps=12)
        page.mouse.up()
    elif tag == "select":
        n = control.evaluate("e => e.options.length")
        index = control.evaluate("e => e.selectedIndex")
        control.select_option(index=(index + 1) % n)
    elif tag == "button":
        control.click()
    else:
        control.focus()
        before = control.get_attribute("aria-valuenow")
        first, then = ("ArrowLeft", "ArrowRight") if back else ("ArrowRight", "ArrowLeft")
        control.press(first)
        if control.get_attribute("aria-valuenow") == before:  # at an end of its range
            control.press(then)
        if control.get_attribute("aria-valuenow") == before:
            # some float sliders ignore the arrow keys in ipywidgets 8's noUiSlider (seen
            # with step 0.02 on [-3, 3]); a learner then clicks the track, so do that
            track = control.locator("xpath=ancestor::div[contains(@class,'noUi-base')][1]")
            box = track.bounding_box()
            handle = control.bounding_box()
            x = box["x"] + box["width"] * (0.3 if handle["x"] > box["x"] + box["width"] / 2
                                           else 0.7)
            page.mouse.click(x, box["y"] + box["height"] / 2)


def wait_for_change(area, before: str, *, timeout: float = 30.0) -> float | None:
    """Seconds until the output area's signature differs from ``before``; None if it never does."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if area.evaluate(SIGNATURE_JS) != before:
            return time.monotonic() - start
        time.sleep(0.02)
    return None


def wait_until_steady(area, *, quiet: float = 0.6, timeout: float = 20.0) -> None:
    """Wait until the output area's signature has not changed for ``quiet`` seconds, so that
    a late redraw from one control is not credited to the next (gives up after ``timeout``)."""
    start = last_change = time.monotonic()
    signature = area.evaluate(SIGNATURE_JS)
    while time.monotonic() - last_change < quiet and time.monotonic() - start < timeout:
        time.sleep(0.1)
        now = area.evaluate(SIGNATURE_JS)
        if now != signature:
            signature, last_change = now, time.monotonic()


def exercise_every_control(page, *,
                           settle: Callable[[], None] = lambda: None) -> tuple[int, list[str]]:
    """Operate every control on the page in turn; return how many there were and a
    description of each that changed nothing, and of each output area whose figures
    no control changed. ``settle`` waits for the kernel between controls, and a control's
    output area must stop changing before the control is operated.

    The second check catches a stuck figure: a slider's own readout changes at once even
    when its figure ignores every update from the kernel, so a control passes on its text,
    but a widget none of whose controls moved its figure is stuck (some controls, such as
    a setting used only when a button is pressed, rightly change only text)."""
    controls = page.locator(CONTROLS)
    n = controls.count()
    unchanged = []
    figures_before: dict[int, str] = {}  # output area (its index on the page) -> figures' signature
    figures_moved: set[int] = set()
    for i in range(n):
        control = controls.nth(i)
        control.scroll_into_view_if_needed()
        area = control.locator(OUTPUT_AREA)
        wait_until_steady(area)
        index = area.evaluate(AREA_INDEX_JS)
        if area.evaluate(HAS_FIGURE_JS):
            figures_before.setdefault(index, area.evaluate(SIGNATURE_JS, True))
        before = area.evaluate(SIGNATURE_JS)
        operate(page, control)
        if wait_for_change(area, before) is None:
            unchanged.append(control.evaluate("e => e.outerHTML.slice(0, 160)")
                             + " now " + str(control.get_attribute("aria-valuenow")))
        settle()
        if index in figures_before and area.evaluate(SIGNATURE_JS, True) != figures_before[index]:
            figures_moved.add(index)
    for index in sorted(set(figures_before) - figures_moved):
        area = page.locator(".jp-OutputArea-output").nth(index)
        wait_until_steady(area)  # a late redraw still counts
        if area.evaluate(SIGNATURE_JS, True) != figures_before[index]:
            continue
        unchanged.append(f"the figures of output area {index}: no control changed them (stuck?)")
    return n, unchanged


AREA_INDEX_JS = "a => [...document.querySelectorAll('.jp-OutputArea-output')].indexOf(a)"
HAS_FIGURE_JS = "a => a.querySelectorAll('.js-plotly-plot').length > 0"


def assert_failing_callback_shown(page) -> None:
    """In tests/browser/failing_callback.ipynb: move its slider, whose callback raises, and
    check that the ValueError appears on the page (not only in a log console)."""
    handle = page.locator(CONTROLS).first
    handle.focus()
    handle.press("ArrowRight")
    shown = page.locator(".jp-OutputArea-output :text('deliberate failure for the browser test')")
    shown.first.wait_for(timeout=20_000)
    assert "ValueError" in shown.first.locator("xpath=..").inner_text()


LOG_CONSOLE_JS = """() => {
  const item = document.querySelector('.jp-LogConsoleStatusItem');
  return item && !item.classList.contains('lm-mod-hidden') ? item.innerText.trim() || '?' : '';
}"""


def hidden_errors(page, *, lab: bool) -> list[str]:
    """Every error the page saw that no output area shows: console and page errors, failed
    requests, errors the kernel sent (tests/browser/kernel_messages.py) and, in JupyterLab,
    entries in the log console (its status-bar counter is shown only when there are some)."""
    found = list(page.problems) + list(page.kernel_problems)
    if lab and (count := page.evaluate(LOG_CONSOLE_JS)):
        found.append(f"JupyterLab's log console holds {count} entries")
    return found


def assert_nothing_hidden(page, *, lab: bool, quiet: float = 1.0) -> None:
    """Fail on any hidden error (see :func:`hidden_errors`), after ``quiet`` seconds for the
    kernel's last replies to arrive (waiting through the page: Playwright's sync API hands
    over websocket frames only while one of its calls runs, never during a plain sleep)."""
    page.wait_for_timeout(quiet * 1000)
    found = hidden_errors(page, lab=lab)
    assert not found, f"{len(found)} hidden errors:\n" + "\n".join(found)


def wait_for_hidden_error(page, *, lab: bool, timeout: float = 30.0) -> None:
    """Wait until tests/browser/failing_figure_handler.ipynb's deliberate error is seen."""
    deadline = time.monotonic() + timeout
    while not any("deliberate failure" in line for line in hidden_errors(page, lab=lab)):
        assert time.monotonic() < deadline, "the figure handler's error never reached the test"
        page.wait_for_timeout(200)


# Makes a module arrive late, as on a busy machine: the blob URL the page makes for it (known by
# its exact size) is swapped for a same-origin URL that the test answers when it chooses.
HOLD_BLOB_JS = """(() => {
  const create = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob) => blob.size === %(size)d
    ? location.origin + '%(path)s' : create(blob);
})();"""


def hold_plotly(page) -> Callable[[], None]:
    """From now on, every page load in ``page`` waits for plotly's widget bundle until the
    returned function is called (held longer than anywidget's 2 s, a figure's model has
    missed its limit)."""
    from explainer.widgets.figure import _BUNDLE

    return _hold_blob(page, _BUNDLE.read_text(encoding="utf-8"))


def hold_figure_module(page) -> Callable[[], None]:
    """The same for the figure's own module (late_bind.js and figure_loader.js): anywidget
    itself then waits past its 2 s for the model's module, as behind a long drawing."""
    from explainer.widgets.figure import SharedFigureWidget

    return _hold_blob(page, SharedFigureWidget._esm)


def _hold_blob(page, source: str) -> Callable[[], None]:
    """Serve the blob URL the page makes for ``source`` (known by its size in bytes) from a
    same-origin URL that answers only when the returned function is called."""
    size = len(source.encode("utf-8"))
    path = f"/__held_module_{size}__.js"
    held = []

    def hold(route) -> None:
        held.append(route)

    def release() -> None:
        assert held, "no page asked for the held module"
        while held:
            held.pop().fulfill(status=200, content_type="text/javascript", body=source)

    page.add_init_script(HOLD_BLOB_JS % {"size": size, "path": path})
    page.route("**" + path, hold)
    return release


def figure_drawn(page) -> bool:
    """Whether a plotly figure has been drawn on the page."""
    return page.evaluate("() => { const g = document.querySelector('.js-plotly-plot');"
                         " return !!(g && g.data); }")


def slow_figure_follows(page) -> list[str]:
    """In tests/browser/slow_plotly.ipynb, once its figure is drawn: operate its slider as
    every notebook's controls are operated, and return what changed nothing."""
    page.wait_for_function("() => { const g = document.querySelector('.js-plotly-plot');"
                           " return !!(g && g.data); }", timeout=60_000)
    n, unchanged = exercise_every_control(page, settle=lambda: page.wait_for_timeout(300))
    assert n == 1, f"slow_plotly.ipynb should show one control, found {n}"
    return unchanged


# ---------------------------------------------------------------------- folded answers
ANSWER = "details:has(> summary:text-is('Answer (predict first, then click)'))"


def stored_answers(notebook) -> int:
    """How many folded answers (``explainer.questions.reveal``) the stored notebook shows."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return sum("<details>" in "".join(out.get("data", {}).get("text/markdown", ""))
               for cell in cells for out in cell.get("outputs", []))


def assert_answers_fold(page, expected: int) -> None:
    """Every answer of the page is there, folded, and opens on a click on its summary with
    its text (the numbers its cell computed) in view."""
    answers = page.locator(ANSWER)
    assert answers.count() == expected, f"{answers.count()} folded answers, {expected} expected"
    for i in range(expected):
        answer = answers.nth(i)
        assert answer.get_attribute("open") is None, f"answer {i + 1} is shown unfolded"
        answer.locator("summary").scroll_into_view_if_needed()
        answer.locator("summary").click()
        page.wait_for_function("(d) => d.open", arg=answer.element_handle())
        body = answer.evaluate("(d) => d.innerText.replace("
                               "d.querySelector('summary').innerText, '')")
        assert len(body.strip()) > 20, f"answer {i + 1} opens on {body!r}"
        answer.locator("summary").click()  # folded again, as the learner left it


# ---------------------------------------------------------------- clicking a plotted point
POINT_JS = """([gd, name, index]) => {
  const i = gd.data.findIndex((t) => t.name === name);
  if (i < 0) return null;
  const trace = gd._fullData[i];
  const xa = gd._fullLayout[(trace.xaxis || 'x').replace('x', 'xaxis')];
  const ya = gd._fullLayout[(trace.yaxis || 'y').replace('y', 'yaxis')];
  const box = gd.getBoundingClientRect();
  return {x: box.left + xa._offset + xa.l2p(trace.x[index]),
          y: box.top + ya._offset + ya.l2p(trace.y[index])};
}"""


def click_point(page, figure, name: str, index: int) -> None:
    """Click point ``index`` of the trace named ``name`` in the plotly figure ``figure`` (an
    element handle of its ``.js-plotly-plot``) with the mouse, as a person would."""
    figure.scroll_into_view_if_needed()
    where = page.evaluate(POINT_JS, [figure, name, index])
    assert where is not None, f"no trace named {name!r} in the figure"
    page.mouse.move(where["x"], where["y"])
    page.wait_for_timeout(200)  # plotly picks the point under the pointer on hover
    page.mouse.click(where["x"], where["y"])


def assert_clicking_the_plane_loads_its_model(page) -> None:
    """Notebook 04: a click on a VAE of the rate-distortion plane moves the KL-weight slider
    to that model's beta, and the VAE map shows it (its title names the beta)."""
    # the plane of the widget (the notebook also shows a static copy of it further down):
    # the plot beside the KL-weight slider, in the same output area
    slider = page.locator(".widget-slider:has(label:text-is('KL weight β'))").first
    slider.scroll_into_view_if_needed()
    plane = slider.locator(OUTPUT_AREA).locator(".js-plotly-plot").filter(
        has=page.locator("text=close-up, with lines of equal ELBO")).first
    handle = plane.element_handle()
    # each point's label reads "β=<beta>" (its customdata may reach the page as a typed array)
    labels = page.evaluate("(gd) => Array.from(gd.data.find((t) => t.name === 'VAEs').text)",
                           handle)
    betas = [float(label.split("=", 1)[1]) for label in labels]
    readout = slider.locator(".widget-readout")
    before = readout.inner_text()
    index = next(i for i, b in enumerate(betas) if float(b) != float(before))  # another model
    target = betas[index]
    click_point(page, handle, "VAEs", index)
    page.wait_for_function("([el, b]) => el.innerText !== b",
                           arg=[readout.element_handle(), before],
                           timeout=30_000)
    assert float(readout.inner_text()) == float(target), (readout.inner_text(), target)
    maps = slider.locator(OUTPUT_AREA).locator(".js-plotly-plot").filter(
        has=page.locator("text=decoded over the same square")).first
    page.wait_for_function(
        "([gd, b]) => JSON.stringify(gd.layout.annotations || []).includes('β=' + b)",
        arg=[maps.element_handle(), f"{float(target):g}"], timeout=30_000)


# ---------------------------------------------------------------- timing a control
# a control's name as a learner reads it: its tag and its label
LABEL_JS = """e => {
  const box = e.closest('.widget-inline-hbox, .widget-hbox, .widget-box') || e.parentElement;
  const label = box && box.querySelector('.widget-label');
  const own = e.closest('.widget-checkbox');  // a checkbox's description follows it
  const text = (label && label.innerText) || (own && own.innerText) || e.innerText
    || e.getAttribute('aria-label') || '';
  return (e.tagName.toLowerCase() + ' ' + text.trim()).slice(0, 40);
}"""
INPUT_MARK = "control-input"  # the performance mark ARM_CHANGES_JS sets at the learner's input
# armed before a control is operated: records, in the page's clock, the learner's input
# (the first key, pointer or change event) and every change to a figure of the control's
# output area (plotly's afterplot, or a DOM change inside a plot: the live panels' images),
# without reading the figures' data (the measurement must not cost the page its time)
ARM_CHANGES_JS = """(area) => {
  const rec = window.__controlTimer = {input: null, changes: []};
  const seen = () => { if (rec.input !== null) rec.changes.push(performance.now()); };
  for (const type of ['keydown', 'pointerdown', 'change']) {
    const start = () => {
      if (rec.input !== null) return;
      rec.input = performance.now();
      performance.mark('""" + INPUT_MARK + """');
    };
    document.addEventListener(type, start, {once: true, capture: true});
  }
  for (const gd of area.querySelectorAll('.js-plotly-plot')) {
    if (!gd.__controlTimed && gd.on) {
      gd.on('plotly_afterplot', () => window.__controlTimer && window.__controlTimer.seen());
      gd.__controlTimed = true;
    }
  }
  rec.seen = seen;
  const inPlot = (n) => (n.nodeType === 1 ? n : n.parentElement)?.closest('.js-plotly-plot');
  rec.observer = new MutationObserver((ms) => { if (ms.some((m) => inPlot(m.target))) seen(); });
  rec.observer.observe(area, {subtree: true, childList: true, attributes: true,
                              characterData: true});
}"""
READ_CHANGES_JS = """() => { const r = window.__controlTimer;
  const n = r.changes.length;
  return {input: r.input, first: n ? r.changes[0] : null, last: n ? r.changes[n - 1] : null,
          now: performance.now()}; }"""
DISARM_CHANGES_JS = """() => { window.__controlTimer.observer.disconnect();
  window.__controlTimer = null; }"""


@dataclass(frozen=True)
class ControlTiming:
    """One operation of a control, in the page's clock: seconds from the learner's input to
    the first and to the last change of a figure in its output area (None: none changed),
    and the seconds waited in all."""

    label: str
    first_change_s: float | None
    last_change_s: float | None
    waited_s: float


def time_control(page, control, *, back: bool = False, timeout: float = 30.0,
                 quiet: float = 0.8, on_start: Callable[[], None] = lambda: None,
                 ) -> ControlTiming:
    """Operate ``control`` once (:func:`operate`) and time its figures' answer, until they
    have been unchanged for ``quiet`` seconds (at most ``timeout``). ``on_start`` is called
    just before the input (e.g. to start a trace)."""
    control.scroll_into_view_if_needed()
    area = control.locator(OUTPUT_AREA)
    wait_until_steady(area)
    label = control.evaluate(LABEL_JS)
    area.evaluate(ARM_CHANGES_JS)
    on_start()
    start = time.monotonic()
    operate(page, control, back=back)
    while time.monotonic() - start < timeout:
        r = page.evaluate(READ_CHANGES_JS)
        since = (r["now"] - (r["last"] if r["last"] is not None else r["input"] or r["now"])) / 1000
        if since > quiet and (r["last"] is not None or time.monotonic() - start > 5.0):
            break
        time.sleep(0.05)
    page.evaluate(DISARM_CHANGES_JS)
    if r["input"] is None:
        raise RuntimeError(f"operating {label!r} raised no key, pointer or change event")
    first = (r["first"] - r["input"]) / 1000 if r["first"] is not None else None
    last = (r["last"] - r["input"]) / 1000 if r["last"] is not None else None
    return ControlTiming(label, first, last, time.monotonic() - start)
