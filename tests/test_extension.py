"""Unit tests of the Markdown extension, in Python-Markdown's own style:
``assertMarkdownRenders(source, expected_html)`` with the engine stubbed out."""

import re

from markdown.test_tools import TestCase

from block_results import plain_result
from executable_blocks.engine import Outcome
from executable_blocks.errors import BlockError
from executable_blocks.extension import ExecutableCodeExtension
from executable_blocks.protocol import ExceptionInfo, Picture, Status


def result(stdout="", **extra):
    return plain_result(stdout, **extra)


def stub(**results):
    """An engine stand-in: every runnable block gets ``results[mode]``."""

    def run(blocks):
        return [
            Outcome(b, Status.RAN, "new", results.get(b.mode, result()))
            if b.runs
            else Outcome(b, Status.DISPLAY_ONLY, b.options["reason"])
            for b in blocks
        ]

    return run


class TestRendering(TestCase):
    def extension(self, **config):
        self.reported = []
        config.setdefault("report", self.reported.append)
        return ExecutableCodeExtension(**config)

    def test_source_and_escaped_output(self):
        self.assertMarkdownRenders(
            self.dedent(
                """
                Intro

                ```python exec="on"
                print("<b>hi</b> & bye")
                ```

                After
                """
            ),
            self.dedent(
                """
                <p>Intro</p>
                <div class="exec" id="exec-3">
                <div class="highlight"><pre><span></span><code class="language-python"><span class="nb">print</span><span class="p">(</span><span class="s2">&quot;&lt;b&gt;hi&lt;/b&gt; &amp; bye&quot;</span><span class="p">)</span>
                </code></pre></div>

                <p class="exec-label">Output</p>
                <pre class="exec-stdout"><code>&lt;b&gt;hi&lt;/b&gt; &amp; bye
                </code></pre>
                </div>
                <p>After</p>
                """  # noqa: E501
            ),
            extensions=[self.extension(run=stub(on=result("<b>hi</b> & bye\n")))],
        )
        self.assertEqual(self.reported, [])

    def test_hidden_source_shows_only_the_output(self):
        self.assertMarkdownRenders(
            '```python exec="on" source="off"\nprint(1)\n```',
            self.dedent(
                """
                <div class="exec" id="exec-1">
                <p class="exec-label">Output</p>
                <pre class="exec-stdout"><code>1
                </code></pre>
                </div>
                """
            ),
            extensions=[self.extension(run=stub(on=result("1\n")))],
        )

    def test_hidden_output_shows_only_the_source(self):
        html = self.render('```python exec="on" output="off"\nprint(1)\n```', "1\n")
        self.assertIn('<div class="highlight">', html)
        self.assertNotIn("exec-stdout", html)

    def test_a_block_with_source_and_output_off_leaves_nothing_on_the_page(self):
        """(It left an empty ``<div class="exec">``.)"""
        self.assertMarkdownRenders(
            'Before\n\n```python exec="on" source="off" output="off"\nx = 1\n```'
            "\n\nAfter",
            "<p>Before</p>\n<p>After</p>",
            extensions=[self.extension(run=stub(on=result("")))],
        )

    def test_a_hidden_output_checked_against_its_claim_says_neither_is_shown(self):
        """(The verdict spoke of an output and a claim the page showed no
        trace of.)"""
        html = self.render(
            '```python exec="on" output="off"\nprint(2)\n```\n\n```output\n2\n```',
            "2\n",
        )
        self.assertNotIn("exec-stdout", html)
        self.assertIn("the output is the one the post claims (neither is shown)", html)

    def test_markdown_syntax_in_output_stays_text(self):
        html = self.render('```python exec="on"\nprint("*x* `y`")\n```', "*x* `y`\n")
        self.assertIn("<code>*x* `y`\n</code>", html)
        self.assertNotIn("<em>", html)

    def test_claim_is_replaced_by_the_checked_output(self):
        html = self.render(
            '```python exec="on"\nprint(2)\n```\n\n```output\n2\n```', "2\n"
        )
        self.assertEqual(html.count("exec-stdout"), 1)
        self.assertIn("the output is the one the post claims", html)
        self.assertNotIn('class="go"', html)

    def test_a_claim_with_a_tolerance_says_how_much(self):
        for tolerance in ("1e-6", "5%"):
            html = self.render(
                f'```python exec="on"\nprint(2)\n```\n\n'
                f'```output tolerance="{tolerance}"\n2\n```',
                "2\n",
            )
            shown = "1e-06" if tolerance == "1e-6" else tolerance
            self.assertIn(
                f"the output is the one the post claims (numbers within {shown})", html
            )

    def test_display_only_block_says_why_it_did_not_run(self):
        self.assertMarkdownRenders(
            '```python exec="off" reason="binds <port> 80"\nserve()\n```',
            self.dedent(
                """
                <div class="exec exec-display-only" id="exec-1">
                <div class="highlight"><pre><span></span><code class="language-python"><span class="n">serve</span><span class="p">()</span>
                </code></pre></div>

                <p class="exec-note">Shown, not run: binds &lt;port&gt; 80</p>
                </div>
                """  # noqa: E501
            ),
            extensions=[self.extension(run=stub())],
        )

    def test_expected_exception_is_shown_as_raised(self):
        raised = ExceptionInfo(
            "AssertionError",
            ("builtins.AssertionError",),
            "",
            "Traceback (most recent call last):\nAssertionError\n",
            2,
        )
        html = self.render(
            '```python exec="on" raises="AssertionError"\nassert 1 == 0\n```',
            exception=raised,
        )
        self.assertIn('<p class="exec-label">Raised</p>', html)
        self.assertIn("it raised AssertionError, as the post says", html)

    def test_figures_become_images_with_alt_text_and_size(self):
        figure = Picture("svg", 640, 480, b"<svg/>")
        extension = self.extension(
            run=stub(on=result(figures=(figure,))),
            picture_url=lambda item: f"/figures/x.{item.format}",
        )
        self.assertMarkdownRenders(
            '```python exec="on" source="off" caption="A \\"drift\\" plot"\n'
            "plot()\n```",
            self.dedent(
                """
                <div class="exec" id="exec-1">
                <figure class="exec-figure"><img src="/figures/x.svg" alt="A &quot;drift&quot; plot" width="640" height="480" loading="lazy"><figcaption>A &quot;drift&quot; plot</figcaption></figure>
                </div>
                """  # noqa: E501
            ),
            extensions=[extension],
        )

    def test_plain_python_blocks_are_left_to_fenced_code(self):
        self.assertMarkdownRenders(
            "```python\nx = 1\n```",
            '<pre><code class="language-python">x = 1\n</code></pre>',
            extensions=[self.extension(run=stub()), "fenced_code"],
        )
        self.assertEqual(self.reported, [])

    def test_required_decision_reports_a_block_that_does_not_say(self):
        self.render("Title\n\n```python\nx = 1\n```", require_exec=True)
        (error,) = self.reported
        self.assertTrue(
            str(error).startswith('<document>:3: a python block must say exec="on"')
        )

    def test_bad_options_are_reported_and_the_block_left_alone(self):
        html = self.render('```python exec="sometimes"\nx = 1\n```', source_path="p.md")
        (error,) = self.reported
        self.assertIsInstance(error, BlockError)
        self.assertEqual(
            str(error), "p.md:1: exec='sometimes': expected one of on, off, pytest"
        )
        self.assertNotIn("exec-", html)

    def test_a_block_in_an_admonition_is_reported_at_its_line(self):
        """It was shown as inline code of the note, not run, exit 0."""
        import markdown

        source = '!!! note\n    ```python exec="on"\n    print(1)\n    ```'
        html = markdown.markdown(
            source, extensions=[self.extension(run=stub()), "admonition"]
        )
        (error,) = self.reported
        self.assertTrue(str(error).startswith("<document>:2: a block with exec= in"))
        self.assertIn("an admonition", str(error))
        self.assertNotIn("exec-", html)

    def test_the_code_that_runs_and_is_shown_is_the_posts_tabs_and_all(self):
        """Python-Markdown expands tabs and empties lines of spaces before
        the extension reads the lines: the code ran, and was shown, with
        spaces for its tabs and an empty line for one of spaces."""
        import markdown

        code = 'print(repr("a\tb"))\ns = """\n  \t \n"""\nif s:\n\tprint(1)\n'
        for newline in ("\n", "\r\n", "\r"):
            with self.subTest(newline=repr(newline)):
                seen = []

                def run(blocks, seen=seen):
                    seen.extend(blocks)
                    return stub()(blocks)

                source = (
                    f'Intro\n\n```python exec="on"\n{code}```\n\n'
                    "```output\n'a\tb'\n```"
                )
                html = markdown.markdown(
                    source.replace("\n", newline),
                    extensions=[self.extension(run=run)],
                )
                (block,) = seen
                self.assertEqual(block.code, code)
                self.assertEqual(block.claim.text, "'a\tb'")
                self.assertEqual(block.line, 3)
                shown = html.split("<code", 1)[1].split("</code>", 1)[0]
                text = re.sub(r"<[^>]*>", "", shown.split(">", 1)[1])
                self.assertEqual(text.replace("&quot;", '"'), code)
                self.assertEqual(self.reported, [])

    def test_errors_of_outcomes_are_reported(self):
        failing = BlockError("p.md", 1, "boom")

        def run(blocks):
            return [Outcome(blocks[0], Status.FAILED, "new", result(), [failing])]

        self.render('```python exec="on"\nx = 1\n```', run=run)
        self.assertEqual(self.reported, [failing])

    def test_a_pending_outcome_renders_as_its_placeholder_alone(self):
        def run(blocks):
            return [
                Outcome(blocks[0], Status.PENDING, "", placeholder="<!--later 1-->")
            ]

        self.assertMarkdownRenders(
            'Before\n\n```python exec="on"\nx = 1\n```\n\nAfter',
            "<p>Before</p>\n<!--later 1-->\n<p>After</p>",
            extensions=[self.extension(run=run)],
        )
        self.assertEqual(self.reported, [])

    def render(self, source, stdout="", exception=None, **config):
        import markdown

        config.setdefault("run", stub(on=result(stdout, exception=exception)))
        return markdown.markdown(source, extensions=[self.extension(**config)])


class TestFolding(TestCase):
    def test_folded_source_is_in_a_details_element_named_for_the_file(self):
        import markdown

        html = markdown.markdown(
            '```python exec="off" source="fold" reason="a sketch"\nx = 1\n```',
            extensions=[ExecutableCodeExtension(run=stub())],
        )
        self.assertIn(
            '<details class="exec-source"><summary>Show the code</summary>', html
        )
        self.assertIn("Shown, not run: a sketch", html)

    def test_folded_included_code_is_named_for_its_file_and_lines(self):
        html = self.render_included('source="fold" include="mod.py" lines="2-3"')
        self.assertIn(
            '<details class="exec-source"><summary>mod.py, lines 2\N{EN DASH}3'
            "</summary>",
            html,
        )

    def test_included_code_shown_unfolded_names_its_file_and_lines(self):
        """(Only a folded block named its file: a reader of the open code
        could not tell where it came from.)"""
        html = self.render_included('include="mod.py" lines="2-3"')
        self.assertIn('<p class="exec-file">mod.py, lines 2\N{EN DASH}3</p>', html)
        self.assertLess(html.index("exec-file"), html.index('class="highlight"'))

    def test_code_written_in_the_post_has_no_file_name(self):
        import markdown

        html = markdown.markdown(
            '```python exec="on"\nx = 1\n```',
            extensions=[ExecutableCodeExtension(run=stub())],
        )
        self.assertNotIn("exec-file", html)

    def render_included(self, options: str) -> str:
        import tempfile
        from pathlib import Path

        import markdown

        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        code = Path(directory.name)
        (code / "mod.py").write_text("a = 1\nb = 2\nc = 3\n")
        return markdown.markdown(
            f'```python exec="on" {options}\n```',
            extensions=[ExecutableCodeExtension(run=stub(), code_dirs=[str(code)])],
        )


class TestWhatWasChecked(TestCase):
    """The labels under a block say exactly what was checked."""

    def render(self, source: str, stdout: str) -> str:
        import markdown

        extension = ExecutableCodeExtension(
            run=stub(on=result(stdout)), report=lambda error: None
        )
        return markdown.markdown(source, extensions=[extension])

    def test_a_claim_with_elisions_says_how_much_was_compared(self):
        html = self.render(
            '```python exec="on"\nprint("a\\nb\\nc")\n```\n\n'
            '```output ellipsis="on"\na\n...\nc\n```',
            "a\nb\nc\n",
        )
        self.assertIn("Checked at build time, with elisions: 2 of 3 lines", html)
        self.assertIn("exec-verdict-elided", html)
        self.assertNotIn("the output is the one the post claims", html)

    def test_a_claim_that_is_all_elisions_does_not_claim_a_match(self):
        html = self.render(
            '```python exec="on"\nprint(42)\n```\n\n```output ellipsis="on"\n...\n```',
            "42\n",
        )
        self.assertIn("with elisions: the output matches the post&#x27;s claim", html)
        self.assertIn("which was not compared", html)

    def test_a_claim_in_full_is_checked_in_full(self):
        html = self.render(
            '```python exec="on"\nprint(2)\n```\n\n```output ellipsis="on"\n2\n```',
            "2\n",
        )
        self.assertIn("Checked at build time: the output is the one", html)
        self.assertNotIn("elisions", html)

    def test_a_block_that_ran_and_printed_nothing_says_so(self):
        html = self.render('```python exec="on"\nx = 1\n```', "")
        self.assertIn("Ran at build time; printed nothing.", html)

    def test_a_block_that_printed_does_not_say_it_printed_nothing(self):
        html = self.render('```python exec="on"\nprint(1)\n```', "1\n")
        self.assertNotIn("printed nothing", html)
