"""What the embedded model may write, token by token: the masks, the no-repeat rule and the sentence-end stop,
over a small vocabulary of our own (the real model's run is in test_local_model.py)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.llm.decoding import BANNED, JapaneseOnly, NoRepeat, Paragraphs, PlainProse, SentenceEnd, Vocabulary
from pipeline.llm.grammar import list_grammar, points_grammar

PIECES = [
    "学習",  # 0
    "本能",  # 1
    "。",  # 2
    "运行",  # 3: a simplified form
    "，",  # 4: Chinese punctuation
    "...",  # 5: a run of marks
    "-",  # 6: a list marker
    "\n",  # 7
    "、",  # 8
    "한국",  # 9: Hangul
    ".",  # 10
    "}",  # 11
    " This",  # 12: English needs spaces
    "AI",  # 13
    "です",  # 14
    "1",  # 15
    "髙",  # 16: outside JIS X 0208, a name a site may use
    "\n①",  # 17: a line opened as a list, in one token
    "〢",  # 18: a Suzhou numeral, outside cp932
]


class Model:
    """The two calls Vocabulary makes of a llama.cpp model."""

    def n_vocab(self) -> int:
        return len(PIECES)

    def detokenize(self, tokens: list[int], special: bool = False) -> bytes:
        return b"".join(PIECES[t].encode() for t in tokens)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary(Model())


def masked(processor, ids: list[int]) -> set[str]:
    scores = processor(np.array(ids, dtype=np.intc), np.zeros(len(PIECES), dtype=np.float32))
    return {PIECES[t] for t in np.flatnonzero(scores <= BANNED)}


def test_japanese_only_masks_simplified_forms_and_hangul_and_lets_a_site_add_characters(vocabulary):
    assert masked(JapaneseOnly(vocabulary), [0]) == {"运行", "한국", "髙"}  # 〢 is PlainProse's
    assert "髙" not in masked(JapaneseOnly(vocabulary, allow="髙"), [0])


def test_plain_prose_masks_chinese_punctuation_symbols_runs_and_spaces(vocabulary):
    prose = PlainProse(vocabulary)
    outside = {"〢", "运行", "한국"}  # nothing cp932 cannot hold (髙 it can: the Japanese-only mask decides)
    assert masked(prose, [0]) == {"，", "...", "}", " This", *outside}
    # After one ASCII mark, no token that opens with another.
    assert masked(prose, [13, 10]) == {"，", "...", "}", " This", *outside, "-", "."}
    assert "AI" not in masked(prose, [13, 10]) and "。" not in masked(prose, [0])


def test_plain_prose_lets_a_name_through_but_not_an_english_sentence_without_spaces(vocabulary):
    prose = PlainProse(vocabulary)
    assert "AI" not in masked(prose, [0, 13, 13, 13, 13, 13])  # AIAIAIAIAI: ten letters
    assert {"AI", " This"} <= masked(prose, [0, 13, 13, 13, 13, 13, 13])  # twelve since the last Japanese
    assert "AI" not in masked(prose, [13, 13, 13, 13, 13, 13, 0])


def test_paragraphs_keep_lines_from_opening_as_lists(vocabulary):
    paragraphs = Paragraphs(vocabulary)
    assert masked(paragraphs, [0, 2, 7]) == {"-", "1", " This", "\n①"}
    assert masked(paragraphs, [0, 2]) == {"\n①"}


def test_no_repeat_never_writes_a_run_the_document_holds(vocabulary):
    no_repeat = NoRepeat(3)
    # The document holds 学習 本能 。; having written 学習 本能 again, 。 is not next.
    assert masked(no_repeat, [0, 1, 2, 14, 0, 1]) == {"。"}
    assert masked(no_repeat, [0, 1, 2, 14, 0, 1, 8]) == set()  # the index grows token by token
    assert masked(no_repeat, [0, 1, 2, 14, 0, 1, 8, 0, 1]) == {"。", "、"}


def test_sentence_end_stops_at_the_first_end_past_the_length(vocabulary):
    stop = SentenceEnd(vocabulary, start=1, chars=6)
    assert not stop([14, 0, 1, 2], None)  # 学習本能。: 5 characters (the prompt's です does not count)
    assert not stop([14, 0, 1, 0, 1], None)  # long enough, but mid-sentence
    assert stop([14, 0, 1, 0, 1, 2], None)


def test_the_list_and_point_grammars_are_valid_gbnf():
    from llama_cpp import LlamaGrammar

    items = list_grammar((2, 3), (12, 90), "\n    - ")
    assert 'root ::= item ("\\n    - " item){1,2}' in items
    points = points_grammar(3, (2, 15), (20, 90), "\n- **")
    for grammar in (items, points):
        LlamaGrammar.from_string(grammar, verbose=False)
