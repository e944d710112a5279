"""Tidying drafted fields as an editor would, before reading them closely."""

from __future__ import annotations

from pipeline.draft.tidy import keypoints, method_items, tidy_text

TITLE = "Attention Is All You Need"
OBJECTIVE = ("The paper presents the Transformer, a sequence transduction model based "
             "entirely on attention.")


def test_method_bullets_an_editor_strikes_are_dropped() -> None:
    mechanism = ("The encoder and decoder stack self-attention and feed-forward layers, "
                 "with positional encodings added to the embeddings.")
    items = [
        "The authors present the Transformer, a sequence transduction model based entirely on "
        "attention.",  # the Objective again
        mechanism,
        "The model achieves 28.4 BLEU on WMT 2014 English-to-German.",  # a result
        "Such a procedure is shown to be valid in the large limit.",  # leans on what is missing
        "Multi-head attention projects queries, keys and values h times and",  # cut short
        "Multi-head attention runs several scaled dot-product attentions in parallel.",
        "On both WMT 2014 tasks the authors achieve a new state of the art.",  # a result
        "The Transformer can be trained significantly faster than recurrent models.",
        "The authors plan to apply attention-based models to other tasks.",  # a plan
    ]
    assert method_items(items, TITLE, OBJECTIVE) == [
        mechanism, "Multi-head attention runs several scaled dot-product attentions in parallel."]


def test_a_bullet_on_how_a_part_works_stays_beside_an_objective_that_says_it_too() -> None:
    # an Objective that ran on into the method ('... by partitioning the context into blocks')
    objective = ("The paper aims to make attention efficient by partitioning the context "
                 "into blocks and routing each query to the most relevant blocks.")
    items = ["Attention is made efficient by partitioning the context into blocks and routing "
             "each query to the most relevant blocks.",
             "The gate scores each block against the query."]
    assert method_items(items, TITLE, objective) == items
    aim = "The authors aim to make attention efficient by partitioning the context into blocks."
    assert method_items([aim, *items], TITLE, objective) == items  # the Objective again


def test_method_bullets_that_are_only_headings_are_dropped() -> None:
    headings = ("Ordered Phase", "Disordered phase", "Self-consistent action")
    items = ["Ordered phase.", "Disordered phase; Self-consistent action.",
             "The authors map the lattice onto one node with a self-consistent action."]
    assert method_items(items, TITLE, OBJECTIVE, headings) == [items[2]]


def test_method_bullets_are_kept_when_nothing_else_would_remain() -> None:
    only = ["The model achieves 28.4 BLEU on WMT 2014 English-to-German."]
    assert method_items(only, TITLE, OBJECTIVE) == only


def test_keypoints_without_acronym_repeats_or_general_words() -> None:
    paper = ("Large language models help chemistry. Residual learning of models for chemistry is "
             "long. Training data matter. Agents plan synthesis. Agents use tools.")
    found = ["LLMs", "Large language models", "Chemistry", "Agents", "Synthesis planning"]
    assert keypoints(found, "A Review of Agents", paper) == [
        "Large language models", "Agents", "Synthesis planning"]
    assert keypoints(["Transformer", "Attention", "Machine translation", "WMT 2014"],
                     TITLE, "") == ["Transformer", "Attention", "Machine translation"]
    # never below three: the general words struck last stay when they are needed
    assert keypoints(["Chemistry", "Agents", "Synthesis planning"], "A Review", paper) == [
        "Chemistry", "Agents", "Synthesis planning"]
    assert keypoints(["Residual learning", "Training", "Models", "Chemistry"], "A Review",
                     paper) == ["Residual learning", "Training", "Chemistry"]


def test_citation_markers_and_labels_leave_a_field() -> None:
    assert tidy_text("Method: we use the teacher-student framework 17,18, where a teacher "
                     "labels the data [4].") == ("The authors use the teacher-student framework,"
                                                 " where a teacher labels the data.")


def test_stray_output_after_a_field_is_dropped() -> None:
    assert tidy_text("PaSa improves recall@20 by 37.78%, e.g. on RealScholarQuery. "
                     "json.obj['r.") == ("PaSa improves recall@20 by 37.78%, e.g. on "
                                         "RealScholarQuery.")


def test_a_keypoint_the_paper_does_not_speak_of_is_dropped() -> None:
    paper = ("We analyse the dynamics of SGD in two-layer networks in the teacher-student "
             "setup and compute the generalisation error.")
    found = ["SGD", "Teacher-student setup", "Feedback attention memory", "Generalisation error",
             "Long-context processing"]
    assert keypoints(found, "Dynamics of SGD", paper) == [
        "SGD", "Teacher-student setup", "Generalisation error"]


def test_markup_is_left_for_the_markup_gate_to_remove_and_report() -> None:
    payload = "<script>alert(1)</script> [click](https://evil.example/win)"
    assert tidy_text(f"Improves accuracy by 12.5%. {payload}") == \
        f"Improves accuracy by 12.5%. {payload}"
    assert tidy_text("Improves accuracy by 12.5%. Code: https://github.com/x/y") == \
        "Improves accuracy by 12.5%."


def test_a_bullet_that_says_how_a_part_works_says_what_it_does() -> None:
    """'how does MoBA work?' makes a small model write 'MoBA works by dividing ...'; the
    editors write 'MoBA divides ...', the verb in the subject's number."""
    from pipeline.draft.tidy import plain_verb
    assert plain_verb("MoBA works by dividing the context into blocks and using a gate to "
                      "route each query.") == ("MoBA divides the context into blocks and uses a "
                                               "gate to route each query.")
    assert plain_verb("Encoder and decoder stacks work by stacking self-attention layers, with "
                      "residual connections.") == ("Encoder and decoder stacks stack "
                                                   "self-attention layers, with residual "
                                                   "connections.")
    assert plain_verb("The method works by dynamically selecting blocks.") == \
        "The method dynamically selects blocks."
    assert plain_verb("PaSa works by first crawling the query.") == "PaSa first crawls the query."
    assert plain_verb("Selector works by taking a query as input, and then using an LLM to "
                      "decide.") == "Selector takes a query as input, and then uses an LLM to " \
                                    "decide."
    unchanged = "The Crawler works by night."  # no verb to put in its place
    assert plain_verb(unchanged) == unchanged
    assert plain_verb("MoBA divides the context into blocks.") == \
        "MoBA divides the context into blocks."


def test_a_bullet_with_a_label_or_the_questions_words_is_mended_or_dropped() -> None:
    items = ["Encoder and Decoder Stacks: Each layer has a self-attention and a feed-forward "
             "sub-layer.",
             "One bullet point of the entry's Method from this paragraph: one whole sentence of "
             "at most 30 words.",
             "Abstract of the paper, in its own words, describing the method of attention.",
             "The decoder inserts a third sub-layer that attends over the encoder's output.",
             "Multi-head attention in the Transformer, by the authors, in the third person, in "
             "English only.",  # the system prompt
             "The architecture, with attention, is described in detail in the abstract."]
    assert method_items(items, TITLE, OBJECTIVE) == [
        "Each layer has a self-attention and a feed-forward sub-layer.", items[3]]


def test_two_bullets_on_one_part_that_say_the_same_are_one() -> None:
    first = "Identity mapping by shortcuts adds the output of a layer to the input of the next."
    again = "Identity mapping by shortcuts adds the output of a layer to its input, shortening it."
    other = "Identity mapping by shortcuts uses a projection only when the dimensions differ."
    assert method_items([first, again, other], TITLE) == [first, other]


def test_a_bullet_the_grammar_cut_loses_its_last_clause() -> None:
    bullet = ("Applications of attention use self-attention layers in the encoder and decoder, "
              "which lets every position attend to every other, making translation faster than R.")
    assert tidy_text(bullet, len(bullet), clause=True) == (
        "Applications of attention use self-attention layers in the encoder and decoder, which "
        "lets every position attend to every other.")
    assert tidy_text(bullet, len(bullet)) == bullet.rstrip(".")  # other fields: flagged as cut
    listed = ("On design, the authors discuss three components: supporting the reading of "
              "the source, assisting the synthesis of new ideas, and facilita")
    assert tidy_text(listed, len(listed), clause=True) == (  # not one of three
        "On design, the authors discuss three components.")
    objective = ("The paper aims to make long contexts cheap by introducing Mixture of Block "
                 "Attention (MoBA), a novel attention architecture inspired by the principles of "
                 "Mixture of Experts that routes each query to the most relevant blocks of the")
    assert tidy_text(objective, len(objective), clause=True) == (  # a third of the way in
        "The paper aims to make long contexts cheap by introducing Mixture of Block Attention "
        "(MoBA).")
    early = "Attention, which lets every position attend to every other position of the input"
    assert tidy_text(early + ".", len(early) + 1, clause=True) == early  # no clause to lose


def test_a_looping_bullet_is_dropped() -> None:
    loop = "The review covers LLMs in Chemistry in Chemistry in Chemistry in Chemistry."
    kept = "The review covers encoder-only and decoder-only language models."
    assert method_items([loop, kept], TITLE) == [kept]
