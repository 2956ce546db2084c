from qa import wordnet


def test_kinds_follow_noun_hypernyms():
    assert wordnet.is_a("lions", "animals")
    assert wordnet.is_a("mustard", "condiment")
    assert wordnet.is_a("soccer", "sport")
    assert wordnet.is_a("mice", "rodent")  # irregular plural


def test_what_is_not_a_kind():
    assert not wordnet.is_a("animal", "animals")  # not a kind of itself
    assert not wordnet.is_a("discovery", "find")  # nor is a synonym
    assert not wordnet.is_a("top", "platform")  # only in a rare sense
    assert not wordnet.is_a("mass", "measure")  # too vague a category to type an answer
    assert not wordnet.is_a("tuesday", "animal")
    assert not wordnet.is_a("qwzx", "animal")  # unknown words are no kind of anything
    assert not wordnet.is_a("breathe", "animal")  # verbs are not in the noun data


def test_lemmas_use_exceptions_and_plural_rules():
    assert "mouse" in wordnet.lemmas("mice")
    assert "lion" in wordnet.lemmas("Lions")
    assert "match" in wordnet.lemmas("matches")
