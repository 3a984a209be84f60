from hpsearch.errors import HpsearchError, Interrupted, StudyExists, StudyNotFound


def test_an_interrupt_says_how_to_continue():
    assert str(Interrupted()) == "interrupted"
    assert str(Interrupted("s")) == (
        "interrupted: finished epochs are kept; continue with `hpsearch resume s`"
    )
    assert str(Interrupted("s", "auto")).endswith("continue with `hpsearch auto s`")


def test_study_errors_name_the_study_and_the_way_on():
    assert isinstance(StudyNotFound("x"), HpsearchError)
    assert "`hpsearch studies`" in str(StudyNotFound("x"))
    assert "`hpsearch resume x`" in str(StudyExists("x"))
