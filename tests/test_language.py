"""Offline language detection and the cached pipelines."""

from qa_audit.nlp import detect_language, get_pipeline, normalize_space


def test_detects_english_and_german():
    assert detect_language("Hi, my parcel has not arrived and I would like a refund please.") == "en"
    assert detect_language("Hallo, mein Paket ist nicht angekommen und ich möchte bitte eine Erstattung.") == "de"
    assert detect_language("Grüße aus München, schöne Woche") == "de"  # umlauts count


def test_pipelines_are_built_once_and_lemmatize():
    assert get_pipeline("de") is get_pipeline("de")
    doc = get_pipeline("de")("Ich kümmere mich darum.")
    assert [t.lemma_ for t in doc][:2] == ["Ich", "kümmern"]
    assert get_pipeline("en").pipe_names == ["sentencizer", "lemmatizer"]


def test_normalize_space_keeps_offsets():
    text = "a\n\n b\tc"
    norm, index = normalize_space(text)
    assert norm == "a b c"
    assert [text[index[i]] for i in range(len(norm))] == ["a", "\n", "b", "\t", "c"]
    assert normalize_space("plain text") == ("plain text", None)
    text = "See https://example.com/2020/12/03/x. Or mail help@example.com!"
    norm, index = normalize_space(text)
    assert norm == "See URL. Or mail EMAIL!"
    start = norm.index("URL")
    assert text[index[start]:index[start + 2] + 1] == "https://example.com/2020/12/03/x"
